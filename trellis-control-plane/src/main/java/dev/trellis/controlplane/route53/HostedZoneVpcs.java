package dev.trellis.controlplane.route53;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ec2.Ec2Vpcs;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.util.ArrayList;
import java.util.List;

/**
 * The VPCs hosted zones are associated with. Each association is also a {@code route53-zonevpc} resource whose
 * parent is the VPC id (and name the zone's name), so "which zones does this VPC see" is an indexed listing.
 */
public final class HostedZoneVpcs {

    static final String KIND = "route53-zonevpc";

    private static final int PAGE = 500;

    private HostedZoneVpcs() {
    }

    /**
     * Checks that {@code vpcId} names a VPC of the caller's account, created with the EC2 API, or throws
     * {@code InvalidVPCId} as Route 53 does.
     */
    static void requireKnownVpc(Route53Context ctx, String vpcId) {
        if (!Ec2Vpcs.isWellFormedId(vpcId)) {
            throw Route53Errors.invalidVpcId("The VPC ID '" + vpcId + "' is not valid: a VPC id is vpc- and 8 or 17"
                    + " lowercase hex digits.");
        }
        if (Ec2Vpcs.find(ctx.tx(), ctx.account(), vpcId).isEmpty()) {
            throw Route53Errors.invalidVpcId("The VPC '" + vpcId + "' was not found in this account; create VPCs"
                    + " with the EC2 API (aws ec2 create-vpc).");
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
        requireKnownVpc(ctx, id);
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
