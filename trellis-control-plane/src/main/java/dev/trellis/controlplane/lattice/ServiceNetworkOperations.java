package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.ResourceIds;
import java.util.Map;

/**
 * Service networks: Create, Get, List, Update (authType) and Delete. A network's auth policy, resource policy and
 * tags live in its document; deleting it is refused while services or VPCs are associated and removes its access log
 * subscriptions (lattice-facts §10).
 */
final class ServiceNetworkOperations {

    private static final ResourceKind KIND = ResourceKind.SERVICE_NETWORK;

    private final OutputShapes shapes;

    ServiceNetworkOperations(OutputShapes shapes) {
        this.shapes = shapes;
    }

    void register(Map<String, LatticeOperation> ops) {
        ops.put("CreateServiceNetwork", this::create);
        ops.put("GetServiceNetwork", this::get);
        ops.put("ListServiceNetworks", this::list);
        ops.put("UpdateServiceNetwork", this::update);
        ops.put("DeleteServiceNetwork", this::delete);
    }

    private ObjectNode create(OperationContext ctx, ObjectNode input) {
        String account = ctx.caller().accountId();
        String id = ResourceIds.newId(KIND.idPrefix());
        String arn = KIND.arn(ctx.config(), account, id);
        ctx.authorize("CreateServiceNetwork", arn);
        String name = input.get("name").asText();
        ctx.tx().getByName(KIND.storeKind(), account, null, name).ifPresent(existing -> {
            throw LatticeErrors.conflict(KIND, existing.id(), "A service network named '" + name
                    + "' already exists in this account: " + existing.id());
        });
        Quota.SERVICE_NETWORKS_PER_REGION.check(ctx.tx().count(KIND.storeKind(), account) + 1,
                ctx.config().quotas().serviceNetworksPerRegion(), KIND, null);
        String now = Documents.now(ctx);
        ObjectNode doc = Documents.object();
        doc.put("id", id);
        doc.put("name", name);
        doc.put("arn", arn);
        doc.put("authType", input.hasNonNull("authType") ? input.get("authType").asText() : "NONE");
        if (input.hasNonNull("sharingConfig")) {
            doc.set("sharingConfig", input.get("sharingConfig").deepCopy());
        }
        doc.put("createdAt", now);
        doc.put("lastUpdatedAt", now);
        Tags.apply(doc, input.get("tags"), "tags");
        // Top-level resources have their account as parent, so listing and counting per account use the index.
        ctx.tx().insert(StoredResource.create(KIND.storeKind(), id, arn, account, account, name, doc));
        return shapes.project("CreateServiceNetworkResponse", doc);
    }

    private ObjectNode get(OperationContext ctx, ObjectNode input) {
        StoredResource network = ResourceLookup.require(ctx, KIND, input.get("serviceNetworkIdentifier").asText());
        ctx.authorize("GetServiceNetwork", network.arn());
        return shapes.project("GetServiceNetworkResponse", withCounts(ctx, network));
    }

    private ObjectNode list(OperationContext ctx, ObjectNode input) {
        ctx.authorize("ListServiceNetworks", "*");
        Pages.Page<StoredResource> page = Pages.fromStore(ctx, "ListServiceNetworks", input, KIND.storeKind(),
                ctx.caller().accountId(), r -> true);
        ObjectNode out = Documents.object();
        var items = out.putArray("items");
        for (StoredResource network : page.items()) {
            ObjectNode view = withCounts(ctx, network);
            view.put("numberOfAssociatedResourceConfigurations", 0L);
            items.add(shapes.project("ServiceNetworkSummary", view));
        }
        if (page.nextToken() != null) {
            out.put("nextToken", page.nextToken());
        }
        return out;
    }

    private ObjectNode update(OperationContext ctx, ObjectNode input) {
        StoredResource network = ResourceLookup.require(ctx, KIND, input.get("serviceNetworkIdentifier").asText());
        ctx.authorize("UpdateServiceNetwork", network.arn());
        ObjectNode doc = network.document().deepCopy();
        doc.put("authType", input.get("authType").asText());
        doc.put("lastUpdatedAt", Documents.now(ctx));
        ctx.tx().update(network.withDocument(doc));
        return shapes.project("UpdateServiceNetworkResponse", doc);
    }

    private ObjectNode delete(OperationContext ctx, ObjectNode input) {
        StoredResource network = ResourceLookup.require(ctx, KIND, input.get("serviceNetworkIdentifier").asText());
        ctx.authorize("DeleteServiceNetwork", network.arn());
        long services = ctx.tx().count(ResourceKind.SERVICE_NETWORK_SERVICE_ASSOCIATION.storeKind(), network.id());
        long vpcs = ctx.tx().count(ResourceKind.SERVICE_NETWORK_VPC_ASSOCIATION.storeKind(), network.id());
        if (services > 0 || vpcs > 0) {
            throw LatticeErrors.conflict(KIND, network.id(), "Service network " + network.id() + " still has "
                    + services + " service association(s) and " + vpcs + " VPC association(s); delete them first");
        }
        AccessLogSubscriptionOperations.deleteAllOf(ctx, network.id());
        ctx.tx().delete(KIND.storeKind(), network.id());
        return Documents.object();
    }

    private static ObjectNode withCounts(OperationContext ctx, StoredResource network) {
        ObjectNode view = network.document().deepCopy();
        view.put("numberOfAssociatedVPCs",
                ctx.tx().count(ResourceKind.SERVICE_NETWORK_VPC_ASSOCIATION.storeKind(), network.id()));
        view.put("numberOfAssociatedServices",
                ctx.tx().count(ResourceKind.SERVICE_NETWORK_SERVICE_ASSOCIATION.storeKind(), network.id()));
        return view;
    }
}
