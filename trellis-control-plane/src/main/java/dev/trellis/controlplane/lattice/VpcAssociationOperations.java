package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.ResourceIds;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Service network–VPC associations: Create, Get, List (by network and/or VPC), Update (securityGroupIds) and
 * Delete. A VPC has at most one such association (lattice-facts §1). Associations are stored under their service
 * network, with the VPC id as their name so the one-per-VPC rule is an indexed look-up.
 */
final class VpcAssociationOperations {

    private static final ResourceKind KIND = ResourceKind.SERVICE_NETWORK_VPC_ASSOCIATION;
    private static final Set<String> SPECIFIED_DOMAIN_PREFERENCES =
            Set.of("VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS", "SPECIFIED_DOMAINS_ONLY");

    private final OutputShapes shapes;

    VpcAssociationOperations(OutputShapes shapes) {
        this.shapes = shapes;
    }

    void register(Map<String, LatticeOperation> ops) {
        ops.put("CreateServiceNetworkVpcAssociation", this::create);
        ops.put("GetServiceNetworkVpcAssociation", this::get);
        ops.put("ListServiceNetworkVpcAssociations", this::list);
        ops.put("UpdateServiceNetworkVpcAssociation", this::update);
        ops.put("DeleteServiceNetworkVpcAssociation", this::delete);
    }

    private ObjectNode create(OperationContext ctx, ObjectNode input) {
        String account = ctx.caller().accountId();
        StoredResource network = ResourceLookup.require(ctx, ResourceKind.SERVICE_NETWORK,
                input.get("serviceNetworkIdentifier").asText());
        String vpcId = input.get("vpcIdentifier").asText();
        Vpcs.requireKnownVpc(ctx, vpcId);
        String id = ResourceIds.newId(KIND.idPrefix());
        String arn = KIND.arn(ctx.config(), account, id);
        ctx.authorize("CreateServiceNetworkVpcAssociation", arn);
        ctx.tx().getByName(KIND.storeKind(), account, null, vpcId).ifPresent(existing -> {
            throw LatticeErrors.conflict(KIND, existing.id(), "VPC " + vpcId + " is already associated with"
                    + " service network " + Documents.text(existing.document(), "serviceNetworkId") + " ("
                    + existing.id() + "); a VPC can be associated with one service network");
        });
        Quota.VPC_ASSOCIATIONS_PER_SERVICE_NETWORK.check(ctx.tx().count(KIND.storeKind(), network.id()) + 1,
                ctx.config().quotas().vpcAssociationsPerServiceNetwork(), KIND,
                network.id());
        boolean privateDns = input.path("privateDnsEnabled").asBoolean(false);
        JsonNode dnsOptions = input.get("dnsOptions");
        if (dnsOptions != null && !dnsOptions.isNull()) {
            if (!privateDns) {
                throw LatticeErrors.invalid("dnsOptions", "applies only when privateDnsEnabled is true");
            }
            boolean specified = Documents.has(dnsOptions, "privateDnsSpecifiedDomains");
            String preference = Documents.text(dnsOptions, "privateDnsPreference");
            if (specified && !SPECIFIED_DOMAIN_PREFERENCES.contains(preference)) {
                throw LatticeErrors.invalid("dnsOptions.privateDnsSpecifiedDomains", "applies only with the"
                        + " preference VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS or SPECIFIED_DOMAINS_ONLY");
            }
        }
        String now = Documents.now(ctx);
        ObjectNode doc = Documents.object();
        doc.put("id", id);
        doc.put("arn", arn);
        // Trellis applies associations synchronously: ACTIVE at once, never CREATE_IN_PROGRESS.
        doc.put("status", "ACTIVE");
        doc.put("createdBy", account);
        doc.put("createdAt", now);
        doc.put("lastUpdatedAt", now);
        doc.put("serviceNetworkId", network.id());
        doc.put("serviceNetworkName", network.name());
        doc.put("serviceNetworkArn", network.arn());
        doc.put("vpcId", vpcId);
        doc.set("securityGroupIds", input.hasNonNull("securityGroupIds")
                ? input.get("securityGroupIds").deepCopy() : Documents.array());
        if (input.hasNonNull("privateDnsEnabled")) {
            doc.put("privateDnsEnabled", privateDns);
        }
        if (dnsOptions != null && !dnsOptions.isNull()) {
            doc.set("dnsOptions", dnsOptions.deepCopy());
        }
        Tags.apply(doc, input.get("tags"), "tags");
        ctx.tx().insert(StoredResource.create(KIND.storeKind(), id, arn, account, network.id(), vpcId, doc));
        return shapes.project("CreateServiceNetworkVpcAssociationResponse", doc);
    }

    private ObjectNode get(OperationContext ctx, ObjectNode input) {
        StoredResource association = ResourceLookup.require(ctx, KIND,
                input.get("serviceNetworkVpcAssociationIdentifier").asText());
        ctx.authorize("GetServiceNetworkVpcAssociation", association.arn());
        return shapes.project("GetServiceNetworkVpcAssociationResponse", association.document());
    }

    private ObjectNode list(OperationContext ctx, ObjectNode input) {
        ctx.authorize("ListServiceNetworkVpcAssociations", "*");
        String networkIdentifier = Documents.text(input, "serviceNetworkIdentifier");
        String vpcId = Documents.text(input, "vpcIdentifier");
        if (networkIdentifier == null && vpcId == null) {
            throw LatticeErrors.invalid("serviceNetworkIdentifier", "either serviceNetworkIdentifier or"
                    + " vpcIdentifier is required");
        }
        String account = ctx.caller().accountId();
        String parent = null;
        if (networkIdentifier != null) {
            Optional<StoredResource> network = ResourceLookup.find(ctx, ResourceKind.SERVICE_NETWORK,
                    networkIdentifier);
            if (network.isEmpty()) {
                return emptyList();
            }
            parent = network.get().id();
        }
        Pages.Page<StoredResource> page = Pages.fromStore(ctx, "ListServiceNetworkVpcAssociations", input,
                KIND.storeKind(), parent, a -> a.accountId().equals(account)
                        && (vpcId == null || vpcId.equals(a.name())));
        ObjectNode out = Documents.object();
        var items = out.putArray("items");
        page.items().forEach(a -> items.add(shapes.project("ServiceNetworkVpcAssociationSummary", a.document())));
        if (page.nextToken() != null) {
            out.put("nextToken", page.nextToken());
        }
        return out;
    }

    static ObjectNode emptyList() {
        ObjectNode out = Documents.object();
        out.putArray("items");
        return out;
    }

    private ObjectNode update(OperationContext ctx, ObjectNode input) {
        StoredResource association = ResourceLookup.require(ctx, KIND,
                input.get("serviceNetworkVpcAssociationIdentifier").asText());
        ctx.authorize("UpdateServiceNetworkVpcAssociation", association.arn());
        ObjectNode doc = association.document().deepCopy();
        doc.set("securityGroupIds", input.get("securityGroupIds").deepCopy());
        doc.put("lastUpdatedAt", Documents.now(ctx));
        ctx.tx().update(association.withDocument(doc));
        return shapes.project("UpdateServiceNetworkVpcAssociationResponse", doc);
    }

    private ObjectNode delete(OperationContext ctx, ObjectNode input) {
        StoredResource association = ResourceLookup.require(ctx, KIND,
                input.get("serviceNetworkVpcAssociationIdentifier").asText());
        ctx.authorize("DeleteServiceNetworkVpcAssociation", association.arn());
        ctx.tx().delete(KIND.storeKind(), association.id());
        ObjectNode out = Documents.pick(association.document(), "id", "arn");
        out.put("status", "DELETE_IN_PROGRESS");
        return out;
    }
}
