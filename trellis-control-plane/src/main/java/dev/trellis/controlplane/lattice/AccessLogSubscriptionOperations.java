package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.Arn;
import dev.trellis.model.ResourceIds;
import java.util.Map;
import java.util.Objects;

/**
 * Access log subscriptions of service networks and services: Create, Get, List, Update (destinationArn) and
 * Delete. Destinations are CloudWatch Logs log groups, S3 buckets or Firehose delivery streams; a resource has at
 * most one subscription per destination type (and, for a network, per log type). Trellis records the subscriptions;
 * delivering logs to the destinations is the gateways' business.
 */
final class AccessLogSubscriptionOperations {

    private static final ResourceKind KIND = ResourceKind.ACCESS_LOG_SUBSCRIPTION;

    private final OutputShapes shapes;

    AccessLogSubscriptionOperations(OutputShapes shapes) {
        this.shapes = shapes;
    }

    void register(Map<String, LatticeOperation> ops) {
        ops.put("CreateAccessLogSubscription", this::create);
        ops.put("GetAccessLogSubscription", this::get);
        ops.put("ListAccessLogSubscriptions", this::list);
        ops.put("UpdateAccessLogSubscription", this::update);
        ops.put("DeleteAccessLogSubscription", this::delete);
    }

    /** Deletes every subscription of a service network or service (when that resource is deleted). */
    static void deleteAllOf(OperationContext ctx, String resourceId) {
        for (StoredResource s : ctx.tx().list(KIND.storeKind(), resourceId, -1, Integer.MAX_VALUE)) {
            ctx.tx().delete(KIND.storeKind(), s.id());
        }
    }

    /** The destination type of an ARN: {@code logs}, {@code s3} or {@code firehose}; else ValidationException. */
    private static String destinationType(String destinationArn) {
        Arn arn = Arn.tryParse(destinationArn);
        if (arn != null) {
            switch (arn.service()) {
                case "logs" -> {
                    if (arn.resource().startsWith("log-group:")) {
                        return "logs";
                    }
                }
                case "s3" -> {
                    return "s3";
                }
                case "firehose" -> {
                    if (arn.resource().startsWith("deliverystream/")) {
                        return "firehose";
                    }
                }
                default -> {
                    // not a supported destination: reported below
                }
            }
        }
        throw LatticeErrors.invalid("destinationArn", "'" + destinationArn + "' is not a CloudWatch Logs log group,"
                + " S3 bucket or Firehose delivery stream ARN");
    }

    private static void requireNoSameKind(OperationContext ctx, String resourceId, String exceptId, String type,
                                          String logType) {
        for (StoredResource other : ctx.tx().list(KIND.storeKind(), resourceId, -1, Integer.MAX_VALUE)) {
            if (!other.id().equals(exceptId)
                    && destinationType(other.document().get("destinationArn").asText()).equals(type)
                    && Objects.equals(Documents.text(other.document(), "serviceNetworkLogType"), logType)) {
                throw LatticeErrors.conflict(KIND, other.id(), resourceId + " already has an access log subscription"
                        + " to a destination of this type: " + other.id());
            }
        }
    }

    private ObjectNode create(OperationContext ctx, ObjectNode input) {
        StoredResource resource = ResourceLookup.requireServiceOrNetwork(ctx,
                input.get("resourceIdentifier").asText());
        String id = ResourceIds.newId(KIND.idPrefix());
        String account = ctx.caller().accountId();
        String arn = KIND.arn(ctx.config(), account, id);
        ctx.authorize("CreateAccessLogSubscription", arn);
        String destination = input.get("destinationArn").asText();
        String type = destinationType(destination);
        boolean network = resource.kind().equals(ResourceKind.SERVICE_NETWORK.storeKind());
        // The log type is a service network's notion; services have one kind of log.
        String logType = network ? input.path("serviceNetworkLogType").asText("SERVICE") : null;
        requireNoSameKind(ctx, resource.id(), null, type, logType);
        String now = Documents.now(ctx);
        ObjectNode doc = Documents.object();
        doc.put("id", id);
        doc.put("arn", arn);
        doc.put("resourceId", resource.id());
        doc.put("resourceArn", resource.arn());
        doc.put("destinationArn", destination);
        if (logType != null) {
            doc.put("serviceNetworkLogType", logType);
        }
        doc.put("createdAt", now);
        doc.put("lastUpdatedAt", now);
        Tags.apply(doc, input.get("tags"), "tags");
        ctx.tx().insert(StoredResource.create(KIND.storeKind(), id, arn, account, resource.id(), null, doc));
        return shapes.project("CreateAccessLogSubscriptionResponse", doc);
    }

    private ObjectNode get(OperationContext ctx, ObjectNode input) {
        StoredResource subscription = ResourceLookup.require(ctx, KIND,
                input.get("accessLogSubscriptionIdentifier").asText());
        ctx.authorize("GetAccessLogSubscription", subscription.arn());
        return shapes.project("GetAccessLogSubscriptionResponse", subscription.document());
    }

    private ObjectNode list(OperationContext ctx, ObjectNode input) {
        StoredResource resource = ResourceLookup.requireServiceOrNetwork(ctx,
                input.get("resourceIdentifier").asText());
        ctx.authorize("ListAccessLogSubscriptions", resource.arn());
        Pages.Page<StoredResource> page = Pages.fromStore(ctx, "ListAccessLogSubscriptions", input,
                KIND.storeKind(), resource.id(), r -> true);
        ObjectNode out = Documents.object();
        var items = out.putArray("items");
        page.items().forEach(s -> items.add(shapes.project("AccessLogSubscriptionSummary", s.document())));
        if (page.nextToken() != null) {
            out.put("nextToken", page.nextToken());
        }
        return out;
    }

    private ObjectNode update(OperationContext ctx, ObjectNode input) {
        StoredResource subscription = ResourceLookup.require(ctx, KIND,
                input.get("accessLogSubscriptionIdentifier").asText());
        ctx.authorize("UpdateAccessLogSubscription", subscription.arn());
        String destination = input.get("destinationArn").asText();
        String type = destinationType(destination);
        ObjectNode doc = subscription.document().deepCopy();
        requireNoSameKind(ctx, subscription.parentId(), subscription.id(), type,
                Documents.text(doc, "serviceNetworkLogType"));
        doc.put("destinationArn", destination);
        doc.put("lastUpdatedAt", Documents.now(ctx));
        ctx.tx().update(subscription.withDocument(doc));
        return shapes.project("UpdateAccessLogSubscriptionResponse", doc);
    }

    private ObjectNode delete(OperationContext ctx, ObjectNode input) {
        StoredResource subscription = ResourceLookup.require(ctx, KIND,
                input.get("accessLogSubscriptionIdentifier").asText());
        ctx.authorize("DeleteAccessLogSubscription", subscription.arn());
        ctx.tx().delete(KIND.storeKind(), subscription.id());
        return Documents.object();
    }
}
