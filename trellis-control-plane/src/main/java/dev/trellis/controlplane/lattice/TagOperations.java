package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import java.util.Map;

/**
 * TagResource, UntagResource and ListTagsForResource on any resource of this package, named by ARN (the ARN is
 * URL-encoded in the path). Tags go away with their resource.
 */
final class TagOperations {

    TagOperations() {
    }

    void register(Map<String, LatticeOperation> ops) {
        ops.put("TagResource", this::tag);
        ops.put("UntagResource", this::untag);
        ops.put("ListTagsForResource", this::list);
    }

    private static StoredResource taggable(OperationContext ctx, String arn) {
        return ctx.tx().getByArn(arn)
                .filter(r -> ResourceKind.ofStoreKind(r.kind()) != null)
                .filter(r -> r.accountId().equals(ctx.caller().accountId()))
                .orElseThrow(() -> LatticeErrors.notFound(resourceTypeOf(arn), arn, "No resource '" + arn
                        + "' was found"));
    }

    /** The resourceType of an ARN's resource part ({@code service/svc-.../listener/...} is a LISTENER). */
    private static String resourceTypeOf(String arn) {
        String resource = arn.substring(arn.lastIndexOf(':') + 1);
        String[] parts = resource.split("/");
        String type = parts.length >= 5 ? "rule" : parts.length >= 3 ? "listener" : parts[0];
        ResourceKind kind = ResourceKind.ofStoreKind(type);
        return kind == null ? type.toUpperCase(java.util.Locale.ROOT) : kind.errorType();
    }

    private ObjectNode tag(OperationContext ctx, ObjectNode input) {
        StoredResource resource = taggable(ctx, input.get("resourceArn").asText());
        ctx.authorize("TagResource", resource.arn());
        ObjectNode doc = resource.document().deepCopy();
        Tags.apply(doc, input.get("tags"), "tags");
        ctx.tx().update(resource.withDocument(doc));
        return Documents.object();
    }

    private ObjectNode untag(OperationContext ctx, ObjectNode input) {
        StoredResource resource = taggable(ctx, input.get("resourceArn").asText());
        ctx.authorize("UntagResource", resource.arn());
        ObjectNode doc = resource.document().deepCopy();
        if (doc.has(Tags.FIELD)) {
            ObjectNode tags = (ObjectNode) doc.get(Tags.FIELD);
            for (JsonNode key : input.get("tagKeys")) {
                tags.remove(key.asText());
            }
            ctx.tx().update(resource.withDocument(doc));
        }
        return Documents.object();
    }

    private ObjectNode list(OperationContext ctx, ObjectNode input) {
        StoredResource resource = taggable(ctx, input.get("resourceArn").asText());
        ctx.authorize("ListTagsForResource", resource.arn());
        ObjectNode out = Documents.object();
        out.set("tags", Tags.of(resource.document()));
        return out;
    }
}
