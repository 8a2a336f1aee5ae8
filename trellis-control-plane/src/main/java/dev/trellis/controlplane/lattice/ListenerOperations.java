package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.ResourceIds;
import java.util.Map;

/**
 * Listeners: Create, Get, List, Update (defaultAction) and Delete. Every listener owns a default rule (a stored
 * rule with {@code isDefault: true}) whose action is the listener's default action; deleting a listener deletes its
 * rules.
 */
final class ListenerOperations {

    private static final ResourceKind KIND = ResourceKind.LISTENER;
    /** The name Trellis gives default rules (Lattice's own is not documented). */
    static final String DEFAULT_RULE_NAME = "default";
    static final String DEFAULT_RULE_ID = "_defaultRuleId";

    private final OutputShapes shapes;

    ListenerOperations(OutputShapes shapes) {
        this.shapes = shapes;
    }

    void register(Map<String, LatticeOperation> ops) {
        ops.put("CreateListener", this::create);
        ops.put("GetListener", this::get);
        ops.put("ListListeners", this::list);
        ops.put("UpdateListener", this::update);
        ops.put("DeleteListener", this::delete);
    }

    static String arn(StoredResource service, String listenerId) {
        return service.arn() + "/listener/" + listenerId;
    }

    private ObjectNode create(OperationContext ctx, ObjectNode input) {
        StoredResource service = ResourceLookup.require(ctx, ResourceKind.SERVICE,
                input.get("serviceIdentifier").asText());
        String id = ResourceIds.newId(KIND.idPrefix());
        String arn = arn(service, id);
        ctx.authorize("CreateListener", arn);
        String name = input.get("name").asText();
        String protocol = input.get("protocol").asText();
        int port;
        if (input.hasNonNull("port")) {
            port = input.get("port").asInt();
        } else if (protocol.equals("HTTP")) {
            port = 80;
        } else if (protocol.equals("HTTPS")) {
            port = 443;
        } else {
            throw LatticeErrors.invalid("port", "is required for a TLS_PASSTHROUGH listener");
        }
        if (protocol.equals("TLS_PASSTHROUGH") && !service.document().hasNonNull("customDomainName")) {
            throw LatticeErrors.invalid("protocol", "a TLS_PASSTHROUGH listener needs a service with a custom"
                    + " domain name; service " + service.id() + " has none");
        }
        ctx.tx().getByName(KIND.storeKind(), service.accountId(), service.id(), name).ifPresent(existing -> {
            throw LatticeErrors.conflict(KIND, existing.id(), "Service " + service.id() + " already has a listener"
                    + " named '" + name + "': " + existing.id());
        });
        var listeners = ctx.tx().list(KIND.storeKind(), service.id(), -1, Integer.MAX_VALUE);
        for (StoredResource other : listeners) {
            if (other.document().path("port").asInt() == port) {
                throw LatticeErrors.conflict(KIND, other.id(), "Service " + service.id() + " already has a listener"
                        + " on port " + port + ": " + other.id());
            }
        }
        Quota.LISTENERS_PER_SERVICE.check(listeners.size() + 1L, ctx.config().quotas().listenersPerService(),
                KIND, service.id());
        ObjectNode action = RuleActions.normalize(ctx, input.get("defaultAction"), "defaultAction", service,
                protocol);
        String ruleId = ResourceIds.newId(ResourceKind.RULE.idPrefix());
        RuleActions.checkTargetGroupsPerService(ctx, service, Map.of(ruleId, action));

        String now = Documents.now(ctx);
        ObjectNode doc = Documents.object();
        doc.put("arn", arn);
        doc.put("id", id);
        doc.put("name", name);
        doc.put("protocol", protocol);
        doc.put("port", port);
        doc.put("serviceArn", service.arn());
        doc.put("serviceId", service.id());
        doc.set("defaultAction", action);
        doc.put("createdAt", now);
        doc.put("lastUpdatedAt", now);
        doc.put(DEFAULT_RULE_ID, ruleId);
        Tags.apply(doc, input.get("tags"), "tags");
        ctx.tx().insert(StoredResource.create(KIND.storeKind(), id, arn, service.accountId(), service.id(), name,
                doc));

        ObjectNode rule = Documents.object();
        String ruleArn = RuleOperations.arn(arn, ruleId);
        rule.put("arn", ruleArn);
        rule.put("id", ruleId);
        rule.put("name", DEFAULT_RULE_NAME);
        rule.put("isDefault", true);
        rule.set("action", action.deepCopy());
        rule.put("createdAt", now);
        rule.put("lastUpdatedAt", now);
        // The default rule has no name in the store, so it never collides with a rule a user names "default".
        ctx.tx().insert(StoredResource.create(ResourceKind.RULE.storeKind(), ruleId, ruleArn, service.accountId(),
                id, null, rule));
        RuleActions.retarget(ctx, ruleId, service.arn(), null, action);
        return shapes.project("CreateListenerResponse", doc);
    }

    private ObjectNode get(OperationContext ctx, ObjectNode input) {
        StoredResource service = ResourceLookup.require(ctx, ResourceKind.SERVICE,
                input.get("serviceIdentifier").asText());
        StoredResource listener = ResourceLookup.requireListener(ctx, service,
                input.get("listenerIdentifier").asText());
        ctx.authorize("GetListener", listener.arn());
        return shapes.project("GetListenerResponse", listener.document());
    }

    private ObjectNode list(OperationContext ctx, ObjectNode input) {
        StoredResource service = ResourceLookup.require(ctx, ResourceKind.SERVICE,
                input.get("serviceIdentifier").asText());
        ctx.authorize("ListListeners", service.arn());
        Pages.Page<StoredResource> page = Pages.fromStore(ctx, "ListListeners", input, KIND.storeKind(),
                service.id(), r -> true);
        ObjectNode out = Documents.object();
        var items = out.putArray("items");
        page.items().forEach(l -> items.add(shapes.project("ListenerSummary", l.document())));
        if (page.nextToken() != null) {
            out.put("nextToken", page.nextToken());
        }
        return out;
    }

    private ObjectNode update(OperationContext ctx, ObjectNode input) {
        StoredResource service = ResourceLookup.require(ctx, ResourceKind.SERVICE,
                input.get("serviceIdentifier").asText());
        StoredResource listener = ResourceLookup.requireListener(ctx, service,
                input.get("listenerIdentifier").asText());
        ctx.authorize("UpdateListener", listener.arn());
        ObjectNode doc = listener.document().deepCopy();
        ObjectNode action = RuleActions.normalize(ctx, input.get("defaultAction"), "defaultAction", service,
                doc.get("protocol").asText());
        String ruleId = doc.get(DEFAULT_RULE_ID).asText();
        RuleActions.checkTargetGroupsPerService(ctx, service, Map.of(ruleId, action));
        String now = Documents.now(ctx);
        JsonNode previous = doc.get("defaultAction");
        doc.set("defaultAction", action);
        doc.put("lastUpdatedAt", now);
        ctx.tx().update(listener.withDocument(doc));
        ctx.tx().get(ResourceKind.RULE.storeKind(), ruleId).ifPresent(rule -> {
            ObjectNode ruleDoc = rule.document().deepCopy();
            ruleDoc.set("action", action.deepCopy());
            ruleDoc.put("lastUpdatedAt", now);
            ctx.tx().update(rule.withDocument(ruleDoc));
        });
        RuleActions.retarget(ctx, ruleId, service.arn(), previous, action);
        return shapes.project("UpdateListenerResponse", doc);
    }

    private ObjectNode delete(OperationContext ctx, ObjectNode input) {
        StoredResource service = ResourceLookup.require(ctx, ResourceKind.SERVICE,
                input.get("serviceIdentifier").asText());
        StoredResource listener = ResourceLookup.requireListener(ctx, service,
                input.get("listenerIdentifier").asText());
        ctx.authorize("DeleteListener", listener.arn());
        deleteWithRules(ctx, listener);
        return Documents.object();
    }

    /** Deletes a listener, its rules (the default one included) and their target-group references. */
    static void deleteWithRules(OperationContext ctx, StoredResource listener) {
        String serviceArn = listener.document().get("serviceArn").asText();
        for (StoredResource rule : ctx.tx().list(ResourceKind.RULE.storeKind(), listener.id(), -1,
                Integer.MAX_VALUE)) {
            RuleActions.retarget(ctx, rule.id(), serviceArn, rule.document().get("action"), null);
            ctx.tx().delete(ResourceKind.RULE.storeKind(), rule.id());
        }
        ctx.tx().delete(KIND.storeKind(), listener.id());
    }
}
