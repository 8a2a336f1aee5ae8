package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.acm.LatticeCertificates;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.ResourceIds;
import java.util.Locale;
import java.util.Map;

/**
 * Services: Create, Get, List, Update (certificateArn, authType) and Delete. Deleting a service is refused while it
 * is associated with a service network and removes its listeners, rules, access log subscriptions, auth and resource
 * policies and tags (lattice-facts §10). A {@code certificateArn} must name an ACM certificate that Lattice can serve
 * the custom domain name with ({@link LatticeCertificates}).
 */
final class ServiceOperations {

    private static final ResourceKind KIND = ResourceKind.SERVICE;

    private final OutputShapes shapes;

    ServiceOperations(OutputShapes shapes) {
        this.shapes = shapes;
    }

    void register(Map<String, LatticeOperation> ops) {
        ops.put("CreateService", this::create);
        ops.put("GetService", this::get);
        ops.put("ListServices", this::list);
        ops.put("UpdateService", this::update);
        ops.put("DeleteService", this::delete);
    }

    private ObjectNode create(OperationContext ctx, ObjectNode input) {
        String account = ctx.caller().accountId();
        String id = ResourceIds.newId(KIND.idPrefix());
        String arn = KIND.arn(ctx.config(), account, id);
        ctx.authorize("CreateService", arn);
        String name = input.get("name").asText();
        String customDomainName = Documents.text(input, "customDomainName");
        if (customDomainName != null && !ServiceDns.isDomainName(customDomainName.toLowerCase(Locale.ROOT))) {
            throw LatticeErrors.invalid("customDomainName", "'" + customDomainName + "' is not a domain name"
                    + " (two or more labels of a-z, 0-9 and '-', each 1-63 characters)");
        }
        ctx.tx().getByName(KIND.storeKind(), account, null, name).ifPresent(existing -> {
            throw LatticeErrors.conflict(KIND, existing.id(), "A service named '" + name
                    + "' already exists in this account: " + existing.id());
        });
        Quota.SERVICES_PER_REGION.check(ctx.tx().count(KIND.storeKind(), account) + 1,
                ctx.config().quotas().servicesPerRegion(), KIND, null);
        String now = Documents.now(ctx);
        ObjectNode doc = Documents.object();
        doc.put("id", id);
        doc.put("name", name);
        doc.put("arn", arn);
        if (customDomainName != null) {
            doc.put("customDomainName", customDomainName);
        }
        String certificateArn = Documents.text(input, "certificateArn");
        if (certificateArn != null && !certificateArn.isEmpty()) {
            LatticeCertificates.requireUsable(ctx.tx(), account, certificateArn, customDomainName,
                    ctx.clock().instant());
            doc.put("certificateArn", certificateArn);
        }
        doc.put("authType", input.hasNonNull("authType") ? input.get("authType").asText() : "NONE");
        doc.set("dnsEntry", ServiceDns.dnsEntry(ctx.config(), name, id));
        // Trellis applies configuration synchronously, so a service is ACTIVE as soon as it exists.
        doc.put("status", "ACTIVE");
        doc.put("createdAt", now);
        doc.put("lastUpdatedAt", now);
        Tags.apply(doc, input.get("tags"), "tags");
        ctx.tx().insert(StoredResource.create(KIND.storeKind(), id, arn, account, account, name, doc));
        return shapes.project("CreateServiceResponse", doc);
    }

    private ObjectNode get(OperationContext ctx, ObjectNode input) {
        StoredResource service = ResourceLookup.require(ctx, KIND, input.get("serviceIdentifier").asText());
        ctx.authorize("GetService", service.arn());
        return shapes.project("GetServiceResponse", service.document());
    }

    private ObjectNode list(OperationContext ctx, ObjectNode input) {
        ctx.authorize("ListServices", "*");
        Pages.Page<StoredResource> page = Pages.fromStore(ctx, "ListServices", input, KIND.storeKind(),
                ctx.caller().accountId(), r -> true);
        ObjectNode out = Documents.object();
        var items = out.putArray("items");
        page.items().forEach(s -> items.add(shapes.project("ServiceSummary", s.document())));
        if (page.nextToken() != null) {
            out.put("nextToken", page.nextToken());
        }
        return out;
    }

    private ObjectNode update(OperationContext ctx, ObjectNode input) {
        StoredResource service = ResourceLookup.require(ctx, KIND, input.get("serviceIdentifier").asText());
        ctx.authorize("UpdateService", service.arn());
        ObjectNode doc = service.document().deepCopy();
        if (input.hasNonNull("certificateArn")) {
            String certificateArn = input.get("certificateArn").asText();
            if (certificateArn.isEmpty()) {
                doc.remove("certificateArn");
            } else {
                LatticeCertificates.requireUsable(ctx.tx(), service.accountId(), certificateArn,
                        Documents.text(doc, "customDomainName"), ctx.clock().instant());
                doc.put("certificateArn", certificateArn);
            }
        }
        if (input.hasNonNull("authType")) {
            doc.put("authType", input.get("authType").asText());
        }
        doc.put("lastUpdatedAt", Documents.now(ctx));
        ctx.tx().update(service.withDocument(doc));
        return shapes.project("UpdateServiceResponse", doc);
    }

    private ObjectNode delete(OperationContext ctx, ObjectNode input) {
        StoredResource service = ResourceLookup.require(ctx, KIND, input.get("serviceIdentifier").asText());
        ctx.authorize("DeleteService", service.arn());
        ctx.tx().getByName(ResourceKind.SERVICE_NETWORK_SERVICE_ASSOCIATION.storeKind(), service.accountId(), null,
                service.id()).ifPresent(association -> {
                    throw LatticeErrors.conflict(KIND, service.id(), "Service " + service.id()
                            + " is associated with service network "
                            + Documents.text(association.document(), "serviceNetworkId")
                            + " (" + association.id() + "); delete the association first");
                });
        for (StoredResource listener : ctx.tx().list(ResourceKind.LISTENER.storeKind(), service.id(), -1,
                Integer.MAX_VALUE)) {
            ListenerOperations.deleteWithRules(ctx, listener);
        }
        AccessLogSubscriptionOperations.deleteAllOf(ctx, service.id());
        ctx.tx().delete(KIND.storeKind(), service.id());
        ObjectNode out = Documents.pick(service.document(), "id", "arn", "name");
        // Lattice deletes asynchronously and answers DELETE_IN_PROGRESS; Trellis has already deleted it.
        out.put("status", "DELETE_IN_PROGRESS");
        return out;
    }
}
