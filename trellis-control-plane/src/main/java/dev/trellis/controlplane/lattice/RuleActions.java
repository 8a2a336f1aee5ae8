package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Rule actions (a listener's default action or a rule's action): validation against the listener and its target
 * groups (lattice-facts §4), normalisation for storage, and the reverse index from target groups to the rules that
 * use them ({@code _usedBy} in a target group's document: rule id → service ARN), which gives
 * {@code serviceArns}, refuses deleting a group in use and keeps a group to one service.
 */
final class RuleActions {

    static final String USED_BY = "_usedBy";
    /** Weight of a lone target group given without one: what Lattice answers (AWS CLI example output). */
    static final int SINGLE_TARGET_GROUP_WEIGHT = 100;
    /** Weight of a target group given without one next to others (the model's documented default). */
    static final int DEFAULT_WEIGHT = 1;

    private RuleActions() {
    }

    /**
     * Checks {@code action} for a rule of {@code listener} of {@code service} and returns it as stored: target
     * groups named by id, every weight present.
     *
     * @param field the action's member path, for errors ({@code defaultAction}, {@code rules[1].action})
     */
    static ObjectNode normalize(OperationContext ctx, JsonNode action, String field, StoredResource service,
                                String listenerProtocol) {
        boolean passthrough = "TLS_PASSTHROUGH".equals(listenerProtocol);
        if (action.hasNonNull("fixedResponse")) {
            int status = action.get("fixedResponse").get("statusCode").asInt();
            if (passthrough) {
                throw LatticeErrors.invalid(field + ".fixedResponse", "a TLS_PASSTHROUGH listener can only forward"
                        + " to TCP target groups");
            }
            if (status != 404 && status != 500) {
                throw LatticeErrors.invalid(field + ".fixedResponse.statusCode", "only 404 and 500 are supported,"
                        + " not " + status);
            }
            ObjectNode out = Documents.object();
            out.putObject("fixedResponse").put("statusCode", status);
            return out;
        }
        JsonNode groups = action.get("forward").get("targetGroups");
        String groupsField = field + ".forward.targetGroups";
        ObjectNode out = Documents.object();
        ArrayNode stored = out.putObject("forward").putArray("targetGroups");
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < groups.size(); i++) {
            JsonNode weighted = groups.get(i);
            String identifier = weighted.get("targetGroupIdentifier").asText();
            StoredResource group = ResourceLookup.require(ctx, ResourceKind.TARGET_GROUP, identifier);
            if (!seen.add(group.id())) {
                throw LatticeErrors.invalid(groupsField, "lists target group " + group.id() + " more than once");
            }
            checkCompatible(group, passthrough, groupsField + "[" + i + "]");
            for (JsonNode serviceArn : group.document().path(USED_BY)) {
                if (!serviceArn.asText().equals(service.arn())) {
                    throw LatticeErrors.conflict(ResourceKind.TARGET_GROUP, group.id(), "Target group " + group.id()
                            + " is already used by service " + serviceArn.asText()
                            + "; a target group can be used by one service only");
                }
            }
            int weight = weighted.hasNonNull("weight") ? weighted.get("weight").asInt()
                    : groups.size() == 1 ? SINGLE_TARGET_GROUP_WEIGHT : DEFAULT_WEIGHT;
            stored.addObject().put("targetGroupIdentifier", group.id()).put("weight", weight);
        }
        return out;
    }

    private static void checkCompatible(StoredResource group, boolean passthrough, String field) {
        String type = Documents.text(group.document(), "type");
        String protocol = group.document().path("config").path("protocol").asText(null);
        if (passthrough && !"TCP".equals(protocol)) {
            throw LatticeErrors.invalid(field, "a TLS_PASSTHROUGH listener can only forward to TCP target groups;"
                    + " " + group.id() + " is " + (protocol == null ? type : protocol));
        }
        if (!passthrough && "TCP".equals(protocol)) {
            throw LatticeErrors.invalid(field, "TCP target group " + group.id() + " can only be used by a"
                    + " TLS_PASSTHROUGH listener");
        }
    }

    /** The ids of the target groups an action forwards to (none for a fixed response or null). */
    static Set<String> targetGroupIds(JsonNode action) {
        Set<String> ids = new LinkedHashSet<>();
        if (action != null) {
            for (JsonNode weighted : action.path("forward").path("targetGroups")) {
                ids.add(weighted.get("targetGroupIdentifier").asText());
            }
        }
        return ids;
    }

    /** Moves the {@code _usedBy} entries of rule {@code ruleId} from the groups of one action to those of another. */
    static void retarget(OperationContext ctx, String ruleId, String serviceArn, JsonNode oldAction,
                         JsonNode newAction) {
        Set<String> before = targetGroupIds(oldAction);
        Set<String> after = targetGroupIds(newAction);
        for (String id : before) {
            if (!after.contains(id)) {
                ctx.tx().get(ResourceKind.TARGET_GROUP.storeKind(), id).ifPresent(group -> {
                    ObjectNode doc = group.document().deepCopy();
                    if (doc.has(USED_BY)) {
                        ((ObjectNode) doc.get(USED_BY)).remove(ruleId);
                    }
                    ctx.tx().update(group.withDocument(doc));
                });
            }
        }
        for (String id : after) {
            if (!before.contains(id)) {
                ctx.tx().get(ResourceKind.TARGET_GROUP.storeKind(), id).ifPresent(group -> {
                    ObjectNode doc = group.document().deepCopy();
                    ObjectNode usedBy = doc.has(USED_BY) ? (ObjectNode) doc.get(USED_BY) : doc.putObject(USED_BY);
                    usedBy.put(ruleId, serviceArn);
                    ctx.tx().update(group.withDocument(doc));
                });
            }
        }
    }

    /** The distinct services (ARNs) a target group is used by, in the order they started using it. */
    static Set<String> serviceArns(JsonNode targetGroupDocument) {
        Set<String> arns = new LinkedHashSet<>();
        for (Iterator<JsonNode> it = targetGroupDocument.path(USED_BY).elements(); it.hasNext(); ) {
            arns.add(it.next().asText());
        }
        return arns;
    }

    /**
     * Checks the target-groups-per-service quota for {@code service} once the actions of some rules change
     * ({@code changed}: rule id → its new action, null for a removed rule).
     */
    static void checkTargetGroupsPerService(OperationContext ctx, StoredResource service,
                                            Map<String, JsonNode> changed) {
        Map<String, JsonNode> actions = new HashMap<>();
        for (StoredResource listener : ctx.tx().list(ResourceKind.LISTENER.storeKind(), service.id(), -1,
                Integer.MAX_VALUE)) {
            for (StoredResource rule : ctx.tx().list(ResourceKind.RULE.storeKind(), listener.id(), -1,
                    Integer.MAX_VALUE)) {
                actions.put(rule.id(), rule.document().get("action"));
            }
        }
        actions.putAll(changed);
        Set<String> groups = new LinkedHashSet<>();
        actions.values().forEach(a -> groups.addAll(targetGroupIds(a)));
        Quota.TARGET_GROUPS_PER_SERVICE.check(groups.size(), ctx.config().quotas().targetGroupsPerService(),
                ResourceKind.TARGET_GROUP, service.id());
    }
}
