package dev.trellis.controlplane.route53;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The VPCs hosted zones are associated with. Each association is also a {@code route53-zonevpc} resource whose
 * parent is the VPC id (and name the zone's name), so "which zones does this VPC see" is an indexed listing.
 */
public final class HostedZoneVpcs {

    static final String KIND = "route53-zonevpc";

    private static final Pattern VPC_ID = Pattern.compile("vpc-([0-9a-f]{8}|[0-9a-f]{17})");
    private static final int PAGE = 500;

    private HostedZoneVpcs() {
    }

    /**
     * Checks that {@code vpcId} names a VPC this control plane knows, or throws {@code InvalidVPCId}. Today: that it
     * is {@code vpc-} and 8 or 17 lowercase hex digits, because the EC2 API that registers VPCs (store kind
     * {@code ec2-vpc}, id = the VPC id) is not merged yet. The integrator replaces the body with a look-up of that
     * kind ({@code tx.get("ec2-vpc", vpcId)}), keeping the error.
     */
    public static void requireKnownVpc(StoreTransaction tx, String vpcId) {
        if (vpcId == null || !VPC_ID.matcher(vpcId).matches()) {
            throw Route53Errors.invalidVpcId("The VPC ID '" + vpcId + "' is not valid: a VPC id is vpc- and 8 or 17"
                    + " lowercase hex digits.");
        }
    }

    /**
     * The VPC of a request's {@code VPC} member, checked: both members present, the id known, the region the one
     * this control plane serves (its VPCs all live there).
     */
    static StoredZone.Vpc requireVpc(Route53Context ctx, JsonNode vpc) {
        if (vpc == null || !vpc.hasNonNull("VPCId")) {
            throw Route53Errors.invalidInput("VPC.VPCId is required");
        }
        String id = vpc.get("VPCId").asText();
        requireKnownVpc(ctx.tx(), id);
        if (!vpc.hasNonNull("VPCRegion")) {
            throw Route53Errors.invalidInput("VPC.VPCRegion is required");
        }
        String region = vpc.get("VPCRegion").asText();
        if (!region.equals(ctx.config().region())) {
            throw Route53Errors.invalidVpcId("The VPC " + id + " is not in " + region + ": the VPCs of this Trellis"
                    + " control plane are in " + ctx.config().region() + ".");
        }
        return new StoredZone.Vpc(region, id);
    }

    static String associationId(String zoneId, String vpcId) {
        return zoneId + ":" + vpcId;
    }

    static void associate(Route53Context ctx, StoredZone zone, StoredZone.Vpc vpc) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("HostedZoneId", zone.id());
        doc.put("VPCId", vpc.id());
        doc.put("VPCRegion", vpc.region());
        ctx.tx().insert(StoredResource.create(KIND, associationId(zone.id(), vpc.id()),
                ctx.zoneArn(zone.id()) + "/vpc/" + vpc.id(), zone.resource().accountId(), vpc.id(),
                zone.name().apiText(), doc));
    }

    static void disassociate(Route53Context ctx, String zoneId, String vpcId) {
        ctx.tx().delete(KIND, associationId(zoneId, vpcId));
    }

    /** The associations of a VPC, every account's, in creation order. */
    static List<StoredResource> associationsOf(StoreTransaction tx, String vpcId) {
        List<StoredResource> all = new ArrayList<>();
        long after = 0;
        while (true) {
            List<StoredResource> page = tx.list(KIND, vpcId, after, PAGE);
            all.addAll(page);
            if (page.size() < PAGE) {
                return all;
            }
            after = page.get(page.size() - 1).seq();
        }
    }
}
