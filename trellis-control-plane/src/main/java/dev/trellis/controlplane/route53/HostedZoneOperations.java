package dev.trellis.controlplane.route53;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.protocol.Shape;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * CreateHostedZone, GetHostedZone, ListHostedZones, DeleteHostedZone, AssociateVPCWithHostedZone and
 * DisassociateVPCFromHostedZone, for private hosted zones (docs/api-route53.md).
 */
final class HostedZoneOperations {

    /** Route 53's default quotas: hosted zones per account, VPCs per private hosted zone. */
    static final int MAX_ZONES_PER_ACCOUNT = 500;
    static final int MAX_VPCS_PER_ZONE = 300;

    /** The SOA and NS record sets Route 53 gives every private hosted zone (the same for all of them). */
    static final String SOA_VALUE = "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400";
    static final long SOA_TTL = 900;
    static final List<String> NS_VALUES = List.of("ns-1536.awsdns-00.co.uk.", "ns-0.awsdns-00.com.",
            "ns-1024.awsdns-00.org.", "ns-512.awsdns-00.net.");
    static final long NS_TTL = 172800;

    private static final int LIST_DEFAULT = 100;
    private static final int PAGE = 500;

    private HostedZoneOperations() {
    }

    static ObjectNode create(Route53Context ctx, ObjectNode input) {
        ctx.authorize("CreateHostedZone", "*");
        String callerReference = input.get("CallerReference").asText();
        DnsName name = zoneName(input.get("Name").asText());
        JsonNode config = input.get("HostedZoneConfig");
        String comment = config != null && config.hasNonNull("Comment") ? config.get("Comment").asText() : null;
        JsonNode vpcInput = input.get("VPC");
        if (vpcInput == null) {
            throw Route53Errors.invalidInput("Trellis serves private hosted zones only: CreateHostedZone needs a VPC"
                    + " (VPCId and VPCRegion) to associate the zone with");
        }
        if (input.hasNonNull("DelegationSetId")) {
            throw Route53Errors.invalidInput("A private hosted zone has no delegation set: DelegationSetId cannot"
                    + " be given with a VPC");
        }
        if (config != null && config.has("PrivateZone") && !config.get("PrivateZone").asBoolean()) {
            throw Route53Errors.invalidInput("HostedZoneConfig.PrivateZone is false but a VPC is given: a zone with"
                    + " a VPC is private");
        }
        StoredZone.Vpc vpc = HostedZoneVpcs.requireVpc(ctx, vpcInput);
        StoreTransaction tx = ctx.tx();
        String token = sha256(callerReference);
        if (tx.idempotentResponse(ctx.account(), "CreateHostedZone", token).isPresent()) {
            throw Route53Errors.hostedZoneAlreadyExists(callerReference);
        }
        if (tx.count(HostedZones.KIND, ctx.account()) >= MAX_ZONES_PER_ACCOUNT) {
            throw Route53Errors.tooManyHostedZones(MAX_ZONES_PER_ACCOUNT);
        }
        requireNoConflict(tx, vpc.id(), name, null);
        String id = Route53Ids.newZoneId();
        List<ZoneRecord> records = List.of(
                new ZoneRecord(name, "NS", NS_TTL, NS_VALUES),
                new ZoneRecord(name, "SOA", SOA_TTL, List.of(SOA_VALUE)));
        StoredResource inserted = tx.insert(StoredResource.create(HostedZones.KIND, id, ctx.zoneArn(id),
                ctx.account(), ctx.account(), name.apiText(), StoredZone.newDocument(id, name, callerReference,
                        comment, ctx.now(), List.of(vpc), records)));
        StoredZone zone = StoredZone.of(inserted);
        HostedZoneVpcs.associate(ctx, zone, vpc);
        // Route 53 refuses a caller reference once used, whatever became of its zone: kept in the idempotency
        // table (hashed: references are up to 128 characters) rather than on the zone.
        tx.recordIdempotentResponse(ctx.account(), "CreateHostedZone", token,
                new StoreTransaction.IdempotentResponse("", id));
        ObjectNode output = JsonNodeFactory.instance.objectNode();
        output.set("HostedZone", hostedZone(zone));
        output.set("ChangeInfo", Changes.record(ctx, null));
        output.putObject("VPC").put("VPCRegion", vpc.region()).put("VPCId", vpc.id());
        output.put("Location", location(ctx, id));
        return output;
    }

    static ObjectNode get(Route53Context ctx, ObjectNode input) {
        StoredZone zone = requireZone(ctx, "GetHostedZone", input.get("Id").asText());
        ObjectNode output = JsonNodeFactory.instance.objectNode();
        output.set("HostedZone", hostedZone(zone));
        ArrayNode vpcs = output.putArray("VPCs");
        zone.vpcs().forEach(v -> vpcs.addObject().put("VPCRegion", v.region()).put("VPCId", v.id()));
        return output;
    }

    /** Zones of the caller's account ordered by id; {@code marker} is the id of the first zone of the page. */
    static ObjectNode list(Route53Context ctx, ObjectNode input) {
        ctx.authorize("ListHostedZones", "*");
        if (input.hasNonNull("DelegationSetId")) {
            throw new ApiException("NoSuchDelegationSet", 400,
                    "No reusable delegation set with the ID " + input.get("DelegationSetId").asText()
                            + ": private hosted zones have none");
        }
        int maxItems = maxItems(input, LIST_DEFAULT, 100);
        String marker = input.hasNonNull("Marker") ? Route53Ids.bareZoneId(input.get("Marker").asText()) : null;
        List<StoredZone> zones = new ArrayList<>();
        long after = 0;
        while (true) {
            List<StoredResource> page = ctx.tx().list(HostedZones.KIND, ctx.account(), after, PAGE);
            page.forEach(r -> zones.add(StoredZone.of(r)));
            if (page.size() < PAGE) {
                break;
            }
            after = page.get(page.size() - 1).seq();
        }
        zones.sort(Comparator.comparing(StoredZone::id));
        ObjectNode output = JsonNodeFactory.instance.objectNode();
        ArrayNode items = output.putArray("HostedZones");
        int added = 0;
        String nextMarker = null;
        for (StoredZone zone : zones) {
            if (marker != null && zone.id().compareTo(marker) < 0) {
                continue;
            }
            if (added == maxItems) {
                nextMarker = zone.id();
                break;
            }
            items.add(hostedZone(zone));
            added++;
        }
        if (marker != null) {
            output.put("Marker", input.get("Marker").asText());
        }
        output.put("IsTruncated", nextMarker != null);
        if (nextMarker != null) {
            output.put("NextMarker", nextMarker);
        }
        output.put("MaxItems", String.valueOf(maxItems));
        return output;
    }

    static ObjectNode delete(Route53Context ctx, ObjectNode input) {
        StoredZone zone = requireZone(ctx, "DeleteHostedZone", input.get("Id").asText());
        boolean onlyApexSoaAndNs = zone.records().stream().allMatch(r -> zone.isApex(r.name())
                && (r.type().equals("SOA") || r.type().equals("NS")));
        if (!onlyApexSoaAndNs) {
            throw Route53Errors.hostedZoneNotEmpty();
        }
        for (StoredZone.Vpc vpc : zone.vpcs()) {
            HostedZoneVpcs.disassociate(ctx, zone.id(), vpc.id());
        }
        ctx.tx().delete(HostedZones.KIND, zone.id());
        ObjectNode output = JsonNodeFactory.instance.objectNode();
        output.set("ChangeInfo", Changes.record(ctx, null));
        return output;
    }

    static ObjectNode associateVpc(Route53Context ctx, ObjectNode input) {
        StoredZone zone = requireZone(ctx, "AssociateVPCWithHostedZone", input.get("HostedZoneId").asText());
        StoredZone.Vpc vpc = HostedZoneVpcs.requireVpc(ctx, input.get("VPC"));
        if (zone.vpcs().stream().anyMatch(v -> v.id().equals(vpc.id()))) {
            throw Route53Errors.conflictingDomainExists("The VPC " + vpc.id() + " is already associated with the"
                    + " hosted zone " + zone.id() + " (" + zone.name().apiText() + ").");
        }
        if (zone.vpcs().size() >= MAX_VPCS_PER_ZONE) {
            throw Route53Errors.limitsExceeded("The hosted zone " + zone.id() + " is already associated with "
                    + MAX_VPCS_PER_ZONE + " VPCs, the limit.");
        }
        requireNoConflict(ctx.tx(), vpc.id(), zone.name(), zone.id());
        List<StoredZone.Vpc> vpcs = new ArrayList<>(zone.vpcs());
        vpcs.add(vpc);
        ctx.tx().update(zone.withVpcs(vpcs));
        HostedZoneVpcs.associate(ctx, zone, vpc);
        ObjectNode output = JsonNodeFactory.instance.objectNode();
        output.set("ChangeInfo", Changes.record(ctx, input.hasNonNull("Comment")
                ? input.get("Comment").asText() : null));
        return output;
    }

    static ObjectNode disassociateVpc(Route53Context ctx, ObjectNode input) {
        StoredZone zone = requireZone(ctx, "DisassociateVPCFromHostedZone", input.get("HostedZoneId").asText());
        JsonNode vpcInput = input.get("VPC");
        if (!vpcInput.hasNonNull("VPCId")) {
            throw Route53Errors.invalidInput("VPC.VPCId is required");
        }
        String vpcId = vpcInput.get("VPCId").asText();
        HostedZoneVpcs.requireKnownVpc(ctx, vpcId);
        if (zone.vpcs().stream().noneMatch(v -> v.id().equals(vpcId))) {
            throw Route53Errors.vpcAssociationNotFound(vpcId, zone.id());
        }
        if (zone.vpcs().size() == 1) {
            throw Route53Errors.lastVpcAssociation(vpcId, zone.id());
        }
        ctx.tx().update(zone.withVpcs(zone.vpcs().stream().filter(v -> !v.id().equals(vpcId)).toList()));
        HostedZoneVpcs.disassociate(ctx, zone.id(), vpcId);
        ObjectNode output = JsonNodeFactory.instance.objectNode();
        output.set("ChangeInfo", Changes.record(ctx, input.hasNonNull("Comment")
                ? input.get("Comment").asText() : null));
        return output;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * The caller's zone {@code id} (with or without {@code /hostedzone/}), after checking that the caller may run
     * {@code operation} on it: the check comes first, so a refused caller learns nothing about which zones exist.
     */
    static StoredZone requireZone(Route53Context ctx, String operation, String givenId) {
        String id = Route53Ids.bareZoneId(givenId);
        ctx.authorize(operation, ctx.zoneArn(id));
        return ctx.tx().get(HostedZones.KIND, id)
                .filter(r -> r.accountId().equals(ctx.account()))
                .map(StoredZone::of)
                .orElseThrow(() -> Route53Errors.noSuchHostedZone(id));
    }

    /** A private zone named {@code name} already associated with the VPC (other than {@code exceptZoneId}). */
    private static void requireNoConflict(StoreTransaction tx, String vpcId, DnsName name, String exceptZoneId) {
        for (StoredResource association : HostedZoneVpcs.associationsOf(tx, vpcId)) {
            String zoneId = association.document().path("HostedZoneId").asText();
            if (name.apiText().equals(association.name()) && !zoneId.equals(exceptZoneId)) {
                throw Route53Errors.conflictingDomainExists("A conflicting domain is already associated with the"
                        + " given VPC: " + vpcId + " is associated with the hosted zone " + zoneId + ", also named "
                        + name.apiText());
            }
        }
    }

    private static DnsName zoneName(String given) {
        DnsName name;
        try {
            name = DnsName.parse(given);
        } catch (DnsName.InvalidNameException e) {
            throw Route53Errors.invalidDomainName("The domain name " + given + " is not valid: " + e.getMessage());
        }
        if (name.isRoot()) {
            throw Route53Errors.invalidDomainName("The domain name " + given + " is not valid: a hosted zone cannot"
                    + " be the root");
        }
        if (!name.isHostnameLike()) {
            throw Route53Errors.invalidDomainName("The domain name " + given + " is not valid: a hosted zone name"
                    + " has letters, digits, '-' and '_' only");
        }
        return name;
    }

    /** {@code MaxItems} of a List operation: a whole number of at least 1; above {@code cap} it is {@code cap}. */
    static int maxItems(ObjectNode input, int defaultValue, int cap) {
        if (!input.hasNonNull("MaxItems")) {
            return defaultValue;
        }
        String text = input.get("MaxItems").asText();
        try {
            long n = Shape.parseWhole(text.strip());
            if (n < 1) {
                throw Route53Errors.invalidInput("MaxItems must be at least 1, not " + text);
            }
            return (int) Math.min(n, cap);
        } catch (NumberFormatException e) {
            if (text.strip().matches("[0-9]+")) {
                return cap;
            }
            throw Route53Errors.invalidInput("MaxItems must be a whole number, not '" + text + "'");
        }
    }

    static ObjectNode hostedZone(StoredZone zone) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("Id", Route53Ids.ZONE_PREFIX + zone.id());
        node.put("Name", zone.name().apiText());
        node.put("CallerReference", zone.callerReference());
        ObjectNode config = node.putObject("Config");
        if (zone.comment() != null) {
            config.put("Comment", zone.comment());
        }
        config.put("PrivateZone", true);
        node.put("ResourceRecordSetCount", zone.records().size());
        return node;
    }

    private static String location(Route53Context ctx, String zoneId) {
        String path = "/2013-04-01/hostedzone/" + zoneId;
        // The Host header is the client's: used only when it looks like a host (and port), never echoed otherwise.
        String host = ctx.host();
        return host == null || !host.matches("[A-Za-z0-9.\\-\\[\\]:]{1,255}") ? path : "http://" + host + path;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
