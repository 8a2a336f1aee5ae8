package dev.trellis.controlplane.route53;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;

/**
 * The changes Route 53 reports for every write ({@code ChangeInfo}), and GetChange. Trellis applies a change in the
 * transaction that answers it, so every change is {@code INSYNC} from the start; each is kept as a
 * {@code route53-change} resource so GetChange can find it.
 */
final class Changes {

    static final String KIND = "route53-change";

    private Changes() {
    }

    /** Records a change made now and returns its {@code ChangeInfo}. */
    static ObjectNode record(Route53Context ctx, String comment) {
        String id = Route53Ids.newChangeId();
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("Id", id);
        doc.put("Status", "INSYNC");
        doc.put("SubmittedAt", ctx.now());
        if (comment != null) {
            doc.put("Comment", comment);
        }
        ctx.tx().insert(StoredResource.create(KIND, id, Route53Ids.changeArn(ctx.config().partition(), id),
                ctx.account(), ctx.account(), null, doc));
        return changeInfo(doc);
    }

    private static ObjectNode changeInfo(ObjectNode doc) {
        ObjectNode info = doc.deepCopy();
        info.put("Id", Route53Ids.CHANGE_PREFIX + doc.path("Id").asText());
        return info;
    }

    /** GetChange: the change's {@code ChangeInfo}. */
    static ObjectNode getChange(Route53Context ctx, ObjectNode input) {
        String id = Route53Ids.bareChangeId(input.path("Id").asText());
        ctx.authorize("GetChange", Route53Ids.changeArn(ctx.config().partition(), id));
        StoredResource change = ctx.tx().get(KIND, id)
                .filter(r -> r.accountId().equals(ctx.account()))
                .orElseThrow(() -> Route53Errors.noSuchChange(id));
        ObjectNode output = JsonNodeFactory.instance.objectNode();
        output.set("ChangeInfo", changeInfo(change.document()));
        return output;
    }
}
