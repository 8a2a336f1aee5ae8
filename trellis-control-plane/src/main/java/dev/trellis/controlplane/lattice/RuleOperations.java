package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.ResourceIds;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Listener rules: Create, Get, List, Update, BatchUpdate and Delete (lattice-facts §4). Priorities are 1-2000 and
 * unique within a listener; the default rule (the listener's default action) is listed last, cannot be updated
 * here (UpdateListener changes it) and cannot be deleted. BatchUpdateRule applies what it can and reports the rest
 * in {@code unsuccessful}; priorities are checked against the batch's end state, so priorities can be swapped.
 */
final class RuleOperations {

    private static final ResourceKind KIND = ResourceKind.RULE;

    private final OutputShapes shapes;

    RuleOperations(OutputShapes shapes) {
        this.shapes = shapes;
    }

    void register(Map<String, LatticeOperation> ops) {
        ops.put("CreateRule", this::create);
        ops.put("GetRule", this::get);
        ops.put("ListRules", this::list);
        ops.put("UpdateRule", this::update);
        ops.put("BatchUpdateRule", this::batchUpdate);
        ops.put("DeleteRule", this::delete);
    }

    static String arn(String listenerArn, String ruleId) {
        return listenerArn + "/rule/" + ruleId;
    }

    private record Scope(StoredResource service, StoredResource listener) {
        String protocol() {
            return listener.document().get("protocol").asText();
        }
    }

    private static Scope scope(OperationContext ctx, ObjectNode input) {
        StoredResource service = ResourceLookup.require(ctx, ResourceKind.SERVICE,
                input.get("serviceIdentifier").asText());
        StoredResource listener = ResourceLookup.requireListener(ctx, service,
                input.get("listenerIdentifier").asText());
        return new Scope(service, listener);
    }

    private static List<StoredResource> rulesOf(OperationContext ctx, StoredResource listener) {
        return ctx.tx().list(KIND.storeKind(), listener.id(), -1, Integer.MAX_VALUE);
    }

    private static boolean isDefault(StoredResource rule) {
        return rule.document().path("isDefault").asBoolean(false);
    }

    private ObjectNode create(OperationContext ctx, ObjectNode input) {
        Scope scope = scope(ctx, input);
        String id = ResourceIds.newId(KIND.idPrefix());
        String arn = arn(scope.listener().arn(), id);
        ctx.authorize("CreateRule", arn);
        if (scope.protocol().equals("TLS_PASSTHROUGH")) {
            throw LatticeErrors.invalid("listenerIdentifier", "a TLS_PASSTHROUGH listener has only its default"
                    + " rule");
        }
        String name = input.get("name").asText();
        ctx.tx().getByName(KIND.storeKind(), scope.listener().accountId(), scope.listener().id(), name)
                .ifPresent(existing -> {
                    throw LatticeErrors.conflict(KIND, existing.id(), "Listener " + scope.listener().id()
                            + " already has a rule named '" + name + "': " + existing.id());
                });
        int priority = input.get("priority").asInt();
        List<StoredResource> rules = rulesOf(ctx, scope.listener());
        for (StoredResource rule : rules) {
            if (!isDefault(rule) && rule.document().path("priority").asInt() == priority) {
                throw LatticeErrors.conflict(KIND, rule.id(), "Listener " + scope.listener().id()
                        + " already has a rule with priority " + priority + ": " + rule.id());
            }
        }
        long nonDefault = rules.stream().filter(r -> !isDefault(r)).count();
        Quota.RULES_PER_LISTENER.check(nonDefault + 1, ctx.config().quotas().rulesPerListener(), KIND,
                scope.listener().id());
        ObjectNode action = RuleActions.normalize(ctx, input.get("action"), "action", scope.service(),
                scope.protocol());
        RuleActions.checkTargetGroupsPerService(ctx, scope.service(), Map.of(id, action));

        String now = Documents.now(ctx);
        ObjectNode doc = Documents.object();
        doc.put("arn", arn);
        doc.put("id", id);
        doc.put("name", name);
        doc.put("isDefault", false);
        doc.set("match", input.get("match").deepCopy());
        doc.put("priority", priority);
        doc.set("action", action);
        doc.put("createdAt", now);
        doc.put("lastUpdatedAt", now);
        Tags.apply(doc, input.get("tags"), "tags");
        ctx.tx().insert(StoredResource.create(KIND.storeKind(), id, arn, scope.listener().accountId(),
                scope.listener().id(), name, doc));
        RuleActions.retarget(ctx, id, scope.service().arn(), null, action);
        return shapes.project("CreateRuleResponse", doc);
    }

    private ObjectNode get(OperationContext ctx, ObjectNode input) {
        Scope scope = scope(ctx, input);
        String identifier = input.get("ruleIdentifier").asText();
        StoredResource rule = ResourceLookup.findRule(ctx, scope.listener(), identifier)
                .orElseThrow(() -> LatticeErrors.notFound(KIND, identifier));
        ctx.authorize("GetRule", rule.arn());
        return shapes.project("GetRuleResponse", rule.document());
    }

    private ObjectNode list(OperationContext ctx, ObjectNode input) {
        Scope scope = scope(ctx, input);
        ctx.authorize("ListRules", scope.listener().arn());
        // Creation order, with the default rule (created with the listener) moved to the end.
        List<StoredResource> rules = new ArrayList<>(rulesOf(ctx, scope.listener()));
        rules.sort(Comparator.comparingLong(RuleOperations::listingKey));
        Pages.Page<StoredResource> page = Pages.fromSorted("ListRules", input, rules, RuleOperations::listingKey);
        ObjectNode out = Documents.object();
        ArrayNode items = out.putArray("items");
        page.items().forEach(r -> items.add(shapes.project("RuleSummary", r.document())));
        if (page.nextToken() != null) {
            out.put("nextToken", page.nextToken());
        }
        return out;
    }

    private static long listingKey(StoredResource rule) {
        return isDefault(rule) ? Long.MAX_VALUE : rule.seq();
    }

    /**
     * The rule {@code update} (a RuleUpdate or UpdateRule input) turns {@code rule} into; the priority is checked
     * by the caller, against the other rules.
     */
    private static ObjectNode updated(OperationContext ctx, Scope scope, StoredResource rule, JsonNode update,
                                      String field) {
        if (isDefault(rule)) {
            throw LatticeErrors.invalid(field.isEmpty() ? "ruleIdentifier" : field + ".ruleIdentifier",
                    rule.id() + " is the default rule of listener " + scope.listener().id()
                            + "; change it with UpdateListener");
        }
        ObjectNode doc = rule.document().deepCopy();
        if (Documents.has(update, "match")) {
            doc.set("match", update.get("match").deepCopy());
        }
        if (Documents.has(update, "priority")) {
            doc.put("priority", update.get("priority").asInt());
        }
        if (Documents.has(update, "action")) {
            doc.set("action", RuleActions.normalize(ctx, update.get("action"),
                    field.isEmpty() ? "action" : field + ".action", scope.service(), scope.protocol()));
        }
        doc.put("lastUpdatedAt", Documents.now(ctx));
        return doc;
    }

    private void apply(OperationContext ctx, Scope scope, StoredResource rule, ObjectNode doc) {
        ctx.tx().update(rule.withDocument(doc));
        RuleActions.retarget(ctx, rule.id(), scope.service().arn(), rule.document().get("action"),
                doc.get("action"));
    }

    private ObjectNode update(OperationContext ctx, ObjectNode input) {
        Scope scope = scope(ctx, input);
        String identifier = input.get("ruleIdentifier").asText();
        StoredResource rule = ResourceLookup.findRule(ctx, scope.listener(), identifier)
                .orElseThrow(() -> LatticeErrors.notFound(KIND, identifier));
        ctx.authorize("UpdateRule", rule.arn());
        ObjectNode doc = updated(ctx, scope, rule, input, "");
        int priority = doc.get("priority").asInt();
        for (StoredResource other : rulesOf(ctx, scope.listener())) {
            if (!other.id().equals(rule.id()) && !isDefault(other)
                    && other.document().path("priority").asInt() == priority) {
                throw LatticeErrors.conflict(KIND, other.id(), "Listener " + scope.listener().id()
                        + " already has a rule with priority " + priority + ": " + other.id());
            }
        }
        RuleActions.checkTargetGroupsPerService(ctx, scope.service(), Map.of(rule.id(), doc.get("action")));
        apply(ctx, scope, rule, doc);
        return shapes.project("UpdateRuleResponse", doc);
    }

    private record Candidate(String identifier, StoredResource rule, ObjectNode doc) {
    }

    private ObjectNode batchUpdate(OperationContext ctx, ObjectNode input) {
        Scope scope = scope(ctx, input);
        JsonNode updates = input.get("rules");
        ObjectNode out = Documents.object();
        ArrayNode successful = out.putArray("successful");
        ArrayNode unsuccessful = out.putArray("unsuccessful");
        Map<String, String> failures = new LinkedHashMap<>();
        Map<String, ApiException> errors = new HashMap<>();
        List<Candidate> candidates = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < updates.size(); i++) {
            JsonNode update = updates.get(i);
            String identifier = update.get("ruleIdentifier").asText();
            try {
                StoredResource rule = ResourceLookup.findRule(ctx, scope.listener(), identifier)
                        .orElseThrow(() -> LatticeErrors.notFound(KIND, identifier));
                // BatchUpdateRule is authorized as vpc-lattice:UpdateRule on each rule (model documentation).
                ctx.authorize("UpdateRule", rule.arn());
                if (!seen.add(rule.id())) {
                    throw LatticeErrors.invalid("rules[" + i + "].ruleIdentifier", "rule " + rule.id()
                            + " appears more than once in this batch");
                }
                candidates.add(new Candidate(identifier, rule, updated(ctx, scope, rule, update,
                        "rules[" + i + "]")));
            } catch (ApiException e) {
                failures.put(identifier + "#" + i, identifier);
                errors.put(identifier + "#" + i, e);
            }
        }
        // Priorities must be unique in the end state; drop conflicting updates until they are.
        List<StoredResource> rules = rulesOf(ctx, scope.listener());
        boolean changed = true;
        while (changed) {
            changed = false;
            Map<String, Integer> finalPriority = new HashMap<>();
            for (StoredResource rule : rules) {
                if (!isDefault(rule)) {
                    finalPriority.put(rule.id(), rule.document().path("priority").asInt());
                }
            }
            candidates.forEach(c -> finalPriority.put(c.rule().id(), c.doc().get("priority").asInt()));
            Map<Integer, Integer> uses = new HashMap<>();
            finalPriority.values().forEach(p -> uses.merge(p, 1, Integer::sum));
            // Every update that lands on a shared priority fails (not just one of them: the outcome must not
            // depend on the order of the batch); the rules it would have moved keep their priority, so repeat.
            for (Candidate c : new ArrayList<>(candidates)) {
                int priority = c.doc().get("priority").asInt();
                if (uses.get(priority) > 1) {
                    candidates.remove(c);
                    String key = c.identifier() + "#c" + c.rule().id();
                    failures.put(key, c.identifier());
                    errors.put(key, LatticeErrors.conflict(KIND, c.rule().id(), "Priority " + priority
                            + " would be used by more than one rule of listener " + scope.listener().id()));
                    changed = true;
                }
            }
        }
        Map<String, JsonNode> accepted = new HashMap<>();
        for (Candidate c : candidates) {
            Map<String, JsonNode> trial = new HashMap<>(accepted);
            trial.put(c.rule().id(), c.doc().get("action"));
            try {
                RuleActions.checkTargetGroupsPerService(ctx, scope.service(), trial);
                accepted.put(c.rule().id(), c.doc().get("action"));
                apply(ctx, scope, c.rule(), c.doc());
                successful.add(shapes.project("RuleUpdateSuccess", c.doc()));
            } catch (ApiException e) {
                String key = c.identifier() + "#q" + c.rule().id();
                failures.put(key, c.identifier());
                errors.put(key, e);
            }
        }
        failures.forEach((key, identifier) -> unsuccessful.addObject()
                .put("ruleIdentifier", identifier)
                .put("failureCode", errors.get(key).code())
                .put("failureMessage", errors.get(key).getMessage()));
        return out;
    }

    private ObjectNode delete(OperationContext ctx, ObjectNode input) {
        Scope scope = scope(ctx, input);
        String identifier = input.get("ruleIdentifier").asText();
        StoredResource rule = ResourceLookup.findRule(ctx, scope.listener(), identifier)
                .orElseThrow(() -> LatticeErrors.notFound(KIND, identifier));
        ctx.authorize("DeleteRule", rule.arn());
        if (isDefault(rule)) {
            throw LatticeErrors.invalid("ruleIdentifier", rule.id() + " is the default rule of listener "
                    + scope.listener().id() + "; it goes away with the listener");
        }
        RuleActions.retarget(ctx, rule.id(), scope.service().arn(), rule.document().get("action"), null);
        ctx.tx().delete(KIND.storeKind(), rule.id());
        return Documents.object();
    }
}
