package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.ResourceIds;
import java.util.Map;
import java.util.Optional;

/**
 * Service network–service associations: Create, Get, List (by network and/or service) and Delete. A pair is
 * associated once, and a custom domain name is unique within a service network (lattice-facts §1). Associations are
 * stored under their service network, with the service id as their name.
 */
final class ServiceAssociationOperations {

    private static final ResourceKind KIND = ResourceKind.SERVICE_NETWORK_SERVICE_ASSOCIATION;

    private final OutputShapes shapes;

    ServiceAssociationOperations(OutputShapes shapes) {
        this.shapes = shapes;
    }

    void register(Map<String, LatticeOperation> ops) {
        ops.put("CreateServiceNetworkServiceAssociation", this::create);
        ops.put("GetServiceNetworkServiceAssociation", this::get);
        ops.put("ListServiceNetworkServiceAssociations", this::list);
        ops.put("DeleteServiceNetworkServiceAssociation", this::delete);
    }

    private ObjectNode create(OperationContext ctx, ObjectNode input) {
        String account = ctx.caller().accountId();
        StoredResource service = ResourceLookup.require(ctx, ResourceKind.SERVICE,
                input.get("serviceIdentifier").asText());
        StoredResource network = ResourceLookup.require(ctx, ResourceKind.SERVICE_NETWORK,
                input.get("serviceNetworkIdentifier").asText());
        String id = ResourceIds.newId(KIND.idPrefix());
        String arn = KIND.arn(ctx.config(), account, id);
        ctx.authorize("CreateServiceNetworkServiceAssociation", arn);
        ctx.tx().getByName(KIND.storeKind(), account, network.id(), service.id()).ifPresent(existing -> {
            throw LatticeErrors.conflict(KIND, existing.id(), "Service " + service.id() + " is already associated"
                    + " with service network " + network.id() + ": " + existing.id());
        });
        var associations = ctx.tx().list(KIND.storeKind(), network.id(), -1, Integer.MAX_VALUE);
        String domain = Documents.text(service.document(), "customDomainName");
        if (domain != null) {
            for (StoredResource other : associations) {
                if (domain.equalsIgnoreCase(Documents.text(other.document(), "customDomainName"))) {
                    throw LatticeErrors.conflict(KIND, other.id(), "Service network " + network.id()
                            + " already has a service with the custom domain name " + domain + ": "
                            + Documents.text(other.document(), "serviceId"));
                }
            }
        }
        Quota.SERVICE_ASSOCIATIONS_PER_SERVICE_NETWORK.check(associations.size() + 1L,
                ctx.config().quotas().serviceAssociationsPerServiceNetwork(), KIND,
                network.id());
        ObjectNode doc = Documents.object();
        doc.put("id", id);
        doc.put("arn", arn);
        // Trellis applies associations synchronously: ACTIVE at once, never CREATE_IN_PROGRESS.
        doc.put("status", "ACTIVE");
        doc.put("createdBy", account);
        doc.put("createdAt", Documents.now(ctx));
        doc.put("serviceId", service.id());
        doc.put("serviceName", service.name());
        doc.put("serviceArn", service.arn());
        doc.put("serviceNetworkId", network.id());
        doc.put("serviceNetworkName", network.name());
        doc.put("serviceNetworkArn", network.arn());
        doc.set("dnsEntry", service.document().get("dnsEntry").deepCopy());
        if (domain != null) {
            doc.put("customDomainName", domain);
        }
        Tags.apply(doc, input.get("tags"), "tags");
        ctx.tx().insert(StoredResource.create(KIND.storeKind(), id, arn, account, network.id(), service.id(), doc));
        return shapes.project("CreateServiceNetworkServiceAssociationResponse", doc);
    }

    private ObjectNode get(OperationContext ctx, ObjectNode input) {
        StoredResource association = ResourceLookup.require(ctx, KIND,
                input.get("serviceNetworkServiceAssociationIdentifier").asText());
        ctx.authorize("GetServiceNetworkServiceAssociation", association.arn());
        return shapes.project("GetServiceNetworkServiceAssociationResponse", association.document());
    }

    private ObjectNode list(OperationContext ctx, ObjectNode input) {
        ctx.authorize("ListServiceNetworkServiceAssociations", "*");
        String networkIdentifier = Documents.text(input, "serviceNetworkIdentifier");
        String serviceIdentifier = Documents.text(input, "serviceIdentifier");
        if (networkIdentifier == null && serviceIdentifier == null) {
            throw LatticeErrors.invalid("serviceNetworkIdentifier", "either serviceNetworkIdentifier or"
                    + " serviceIdentifier is required");
        }
        String account = ctx.caller().accountId();
        String parent = null;
        if (networkIdentifier != null) {
            Optional<StoredResource> network = ResourceLookup.find(ctx, ResourceKind.SERVICE_NETWORK,
                    networkIdentifier);
            if (network.isEmpty()) {
                return VpcAssociationOperations.emptyList();
            }
            parent = network.get().id();
        }
        String serviceId = null;
        if (serviceIdentifier != null) {
            Optional<StoredResource> service = ResourceLookup.find(ctx, ResourceKind.SERVICE, serviceIdentifier);
            if (service.isEmpty()) {
                return VpcAssociationOperations.emptyList();
            }
            serviceId = service.get().id();
        }
        String wantedService = serviceId;
        Pages.Page<StoredResource> page = Pages.fromStore(ctx, "ListServiceNetworkServiceAssociations", input,
                KIND.storeKind(), parent, a -> a.accountId().equals(account)
                        && (wantedService == null || wantedService.equals(a.name())));
        ObjectNode out = Documents.object();
        var items = out.putArray("items");
        page.items().forEach(a -> items.add(
                shapes.project("ServiceNetworkServiceAssociationSummary", a.document())));
        if (page.nextToken() != null) {
            out.put("nextToken", page.nextToken());
        }
        return out;
    }

    private ObjectNode delete(OperationContext ctx, ObjectNode input) {
        StoredResource association = ResourceLookup.require(ctx, KIND,
                input.get("serviceNetworkServiceAssociationIdentifier").asText());
        ctx.authorize("DeleteServiceNetworkServiceAssociation", association.arn());
        ctx.tx().delete(KIND.storeKind(), association.id());
        ObjectNode out = Documents.pick(association.document(), "id", "arn");
        out.put("status", "DELETE_IN_PROGRESS");
        return out;
    }
}
