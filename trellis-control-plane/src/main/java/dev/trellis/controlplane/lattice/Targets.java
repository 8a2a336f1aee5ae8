package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.gateway.TargetHealthReport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The targets of a target group: RegisterTargets, DeregisterTargets and ListTargets. Targets live in the group's
 * document ({@code _targets}: id, port and a sequence number that orders and pages them). A target is an id and a
 * port (the group's port unless given); registering it again changes nothing, and deregistering a target that is
 * not registered succeeds. Targets that do not fit the group's type are reported in {@code unsuccessful} with
 * failure code {@value #INVALID_TARGET}.
 *
 * <p>Deregistering drains, as Lattice does (facts §5 "Target states"): the target stays in the document with
 * {@value #DRAINING_UNTIL} (deregistration time + {@code ControlPlaneConfig.deregistrationDelay}), shows as
 * {@code DRAINING}, goes to gateways with {@code draining=true}, and is gone once that time has passed — expired
 * entries are skipped when read and removed by the next write of the group. Registering a draining target again
 * makes it a normal target. Gateways' health reports are kept on the targets as {@code status}/{@code reasonCode};
 * they never override {@code DRAINING}.
 */
public final class Targets {

    static final String FIELD = "_targets";
    static final String NEXT_SEQ = "_nextTargetSeq";
    static final String INVALID_TARGET = "InvalidTarget";
    /** When a draining target is gone (ISO-8601 instant); absent for a normal target. */
    static final String DRAINING_UNTIL = "drainingUntil";
    /** Lattice's {@code TargetStatus} values: what a report may say. */
    private static final Set<String> TARGET_STATUS = Set.of("INITIAL", "HEALTHY", "UNHEALTHY", "UNAVAILABLE",
            "DRAINING", "UNUSED");
    /** What a report can change: DRAINING and UNUSED are the control plane's to decide, so reports of them are ignored. */
    private static final Set<String> REPORTABLE = Set.of("INITIAL", "HEALTHY", "UNHEALTHY", "UNAVAILABLE");

    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");
    private static final Pattern INSTANCE = Pattern.compile("i-([0-9a-f]{8}|[0-9a-f]{17})");
    private static final Pattern LAMBDA = Pattern.compile(
            "arn:[a-z0-9-]+:lambda:[a-z0-9-]+:\\d{12}:function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
    private static final Pattern ALB = Pattern.compile(
            "arn:[a-z0-9-]+:elasticloadbalancing:[a-z0-9-]+:\\d{12}:loadbalancer/app/[a-zA-Z0-9-]+/[0-9a-f]+");

    private final OutputShapes shapes;

    Targets(OutputShapes shapes) {
        this.shapes = shapes;
    }

    void register(Map<String, LatticeOperation> ops) {
        ops.put("RegisterTargets", this::registerTargets);
        ops.put("DeregisterTargets", this::deregisterTargets);
        ops.put("ListTargets", this::listTargets);
    }

    private ObjectNode registerTargets(OperationContext ctx, ObjectNode input) {
        StoredResource group = ResourceLookup.require(ctx, ResourceKind.TARGET_GROUP,
                input.get("targetGroupIdentifier").asText());
        ctx.authorize("RegisterTargets", group.arn());
        ObjectNode doc = group.document().deepCopy();
        String type = doc.get("type").asText();
        ArrayNode registered = targets(doc);
        removeDrained(registered, ctx.clock().instant());
        long nextSeq = doc.path(NEXT_SEQ).asLong(1);
        ObjectNode out = Documents.object();
        ArrayNode successful = out.putArray("successful");
        ArrayNode unsuccessful = out.putArray("unsuccessful");
        for (JsonNode target : input.get("targets")) {
            String id = target.get("id").asText();
            Integer port = port(doc, target);
            String problem = problem(doc, type, id, target, registered);
            if (problem != null) {
                ObjectNode failure = unsuccessful.addObject().put("id", id);
                if (port != null) {
                    failure.put("port", port);
                }
                failure.put("failureCode", INVALID_TARGET).put("failureMessage", problem);
                continue;
            }
            int existing = indexOf(registered, id, port);
            if (existing < 0) {
                ObjectNode entry = registered.addObject().put("id", id);
                if (port != null) {
                    entry.put("port", port);
                }
                entry.put("seq", nextSeq++);
            } else if (registered.get(existing).has(DRAINING_UNTIL)) {
                // Registered again while draining: a normal target again, health unknown until checked.
                ((ObjectNode) registered.get(existing)).remove(List.of(DRAINING_UNTIL, "status", "reasonCode"));
            }
            successful.add(summary(id, port));
        }
        int active = 0;
        for (JsonNode t : registered) {
            active += t.has(DRAINING_UNTIL) ? 0 : 1;
        }
        // Draining targets do not count: they are on their way out.
        Quota.TARGETS_PER_TARGET_GROUP.check(active, ctx.config().quotas().targetsPerTargetGroup(),
                ResourceKind.TARGET_GROUP, group.id());
        doc.put(NEXT_SEQ, nextSeq);
        ctx.tx().update(group.withDocument(doc));
        return out;
    }

    private ObjectNode deregisterTargets(OperationContext ctx, ObjectNode input) {
        StoredResource group = ResourceLookup.require(ctx, ResourceKind.TARGET_GROUP,
                input.get("targetGroupIdentifier").asText());
        ctx.authorize("DeregisterTargets", group.arn());
        ObjectNode doc = group.document().deepCopy();
        ArrayNode registered = targets(doc);
        Instant now = ctx.clock().instant();
        removeDrained(registered, now);
        Duration delay = ctx.config().deregistrationDelay();
        ObjectNode out = Documents.object();
        ArrayNode successful = out.putArray("successful");
        out.putArray("unsuccessful");
        for (JsonNode target : input.get("targets")) {
            String id = target.get("id").asText();
            Integer port = port(doc, target);
            int index = indexOf(registered, id, port);
            if (index >= 0 && delay.isZero()) {
                registered.remove(index);
            } else if (index >= 0 && !registered.get(index).has(DRAINING_UNTIL)) {
                // Drains from now; deregistering a draining target again does not extend its drain.
                ((ObjectNode) registered.get(index)).put(DRAINING_UNTIL, now.plus(delay).toString());
            }
            successful.add(summary(id, port));
        }
        ctx.tx().update(group.withDocument(doc));
        return out;
    }

    private ObjectNode listTargets(OperationContext ctx, ObjectNode input) {
        StoredResource group = ResourceLookup.require(ctx, ResourceKind.TARGET_GROUP,
                input.get("targetGroupIdentifier").asText());
        ctx.authorize("ListTargets", group.arn());
        JsonNode doc = group.document();
        JsonNode filter = input.get("targets");
        Instant now = ctx.clock().instant();
        List<JsonNode> selected = new ArrayList<>();
        for (JsonNode target : doc.path(FIELD)) {
            if (drained(target, now)) {
                continue;
            }
            if (filter == null || filter.isNull() || filter.isEmpty() || matches(filter, target)) {
                selected.add(target);
            }
        }
        Pages.Page<JsonNode> page = Pages.fromSorted("ListTargets", input, selected, t -> t.get("seq").asLong());
        String status = status(doc);
        ObjectNode out = Documents.object();
        ArrayNode items = out.putArray("items");
        for (JsonNode target : page.items()) {
            ObjectNode item = items.addObject().put("id", target.get("id").asText());
            if (target.has("port")) {
                item.put("port", target.get("port").asInt());
            }
            if (target.has(DRAINING_UNTIL)) {
                item.put("status", "DRAINING");
                continue;
            }
            // A health report from the gateway (written under "status"/"reasonCode") wins over the computed state.
            item.put("status", target.path("status").asText(status));
            if (target.hasNonNull("reasonCode")) {
                item.put("reasonCode", target.get("reasonCode").asText());
            }
        }
        if (page.nextToken() != null) {
            out.put("nextToken", page.nextToken());
        }
        return shapes.project("ListTargetsResponse", out);
    }

    /** Whether a target has finished draining at {@code now}: it is gone. */
    static boolean drained(JsonNode target, Instant now) {
        return target.has(DRAINING_UNTIL) && !now.isBefore(Instant.parse(target.get(DRAINING_UNTIL).asText()));
    }

    /** Whether a target is draining (and not yet gone) at {@code now}. */
    static boolean draining(JsonNode target, Instant now) {
        return target.has(DRAINING_UNTIL) && !drained(target, now);
    }

    /** When a draining target of a group document is gone, the earliest; null when none drains. */
    static Instant nextDrainEnd(JsonNode groupDocument, Instant now) {
        Instant next = null;
        for (JsonNode t : groupDocument.path(FIELD)) {
            if (draining(t, now)) {
                Instant until = Instant.parse(t.get(DRAINING_UNTIL).asText());
                next = next == null || until.isBefore(next) ? until : next;
            }
        }
        return next;
    }

    /** Removes the targets that finished draining. */
    private static boolean removeDrained(ArrayNode targets, Instant now) {
        boolean removed = false;
        for (int i = targets.size() - 1; i >= 0; i--) {
            if (drained(targets.get(i), now)) {
                targets.remove(i);
                removed = true;
            }
        }
        return removed;
    }

    /**
     * Removes the targets that finished draining from these target groups, writing only the groups that change.
     *
     * @return how many groups changed
     */
    public static int removeDrainedTargets(StoreTransaction tx, java.util.Collection<String> targetGroupIds,
                                           Instant now) {
        int changed = 0;
        for (String id : targetGroupIds) {
            java.util.Optional<StoredResource> group = tx.get(ResourceKind.TARGET_GROUP.storeKind(), id);
            if (group.isEmpty()) {
                continue;
            }
            ObjectNode doc = group.get().document().deepCopy();
            if (removeDrained(targets(doc), now)) {
                tx.update(group.get().withDocument(doc));
                changed++;
            }
        }
        return changed;
    }

    /**
     * Applies a gateway's health reports to a target group document: each report for a registered, non-draining
     * target sets its {@code status} and {@code reasonCode}. Reports for other targets are ignored (the target may
     * have been deregistered since the gateway's last snapshot).
     *
     * @return the changed document, or null when nothing changed — the caller then need not write
     * @throws IllegalArgumentException naming the report field that is not valid
     */
    public static ObjectNode applyHealthReports(JsonNode groupDocument, List<TargetHealthReport> reports,
                                                Instant now) {
        ObjectNode doc = groupDocument.deepCopy();
        ArrayNode registered = targets(doc);
        boolean changed = removeDrained(registered, now);
        for (TargetHealthReport report : reports) {
            if (!TARGET_STATUS.contains(report.status())) {
                throw new IllegalArgumentException("status must be one of " + String.join(", ",
                        new java.util.TreeSet<>(TARGET_STATUS)) + ", not '" + report.status() + "'");
            }
            if (!REPORTABLE.contains(report.status())) {
                continue;
            }
            Integer port = report.port() > 0 ? report.port() : null;
            int index = indexOf(registered, report.targetId(), port == null ? port(doc, null) : port);
            if (index < 0 || registered.get(index).has(DRAINING_UNTIL)) {
                continue; // unknown, or draining: DRAINING stays whatever is reported
            }
            ObjectNode target = (ObjectNode) registered.get(index);
            String reason = report.reasonCode();
            boolean same = report.status().equals(target.path("status").asText(null))
                    && java.util.Objects.equals(reason, target.path("reasonCode").asText(null));
            if (same) {
                continue;
            }
            target.put("status", report.status());
            if (reason == null) {
                target.remove("reasonCode");
            } else {
                target.put("reasonCode", reason);
            }
            changed = true;
        }
        return changed ? doc : null;
    }

    /**
     * The state of targets nobody has health-checked yet: UNUSED while no service uses the group, UNAVAILABLE when
     * health checks are off (or not supported), else INITIAL.
     */
    private static String status(JsonNode group) {
        if (RuleActions.serviceArns(group).isEmpty()) {
            return "UNUSED";
        }
        JsonNode hc = group.path("config").path("healthCheck");
        return hc.isMissingNode() || !hc.path("enabled").asBoolean(false) ? "UNAVAILABLE" : "INITIAL";
    }

    private static boolean matches(JsonNode filter, JsonNode target) {
        for (JsonNode wanted : filter) {
            if (wanted.get("id").asText().equals(target.get("id").asText())
                    && (!wanted.hasNonNull("port") || wanted.get("port").asInt() == target.path("port").asInt())) {
                return true;
            }
        }
        return false;
    }

    private static ArrayNode targets(ObjectNode doc) {
        return doc.has(FIELD) ? (ArrayNode) doc.get(FIELD) : doc.putArray(FIELD);
    }

    /** The port of a target: its own, else the group's; none for Lambda groups. */
    private static Integer port(JsonNode group, JsonNode target) {
        if (target != null && target.hasNonNull("port")) {
            return target.get("port").asInt();
        }
        JsonNode port = group.path("config").path("port");
        return port.isMissingNode() ? null : port.asInt();
    }

    private static int indexOf(ArrayNode targets, String id, Integer port) {
        for (int i = 0; i < targets.size(); i++) {
            JsonNode t = targets.get(i);
            boolean samePort = port == null ? !t.has("port") : t.has("port") && t.get("port").asInt() == port;
            if (t.get("id").asText().equals(id) && samePort) {
                return i;
            }
        }
        return -1;
    }

    private static ObjectNode summary(String id, Integer port) {
        ObjectNode target = Documents.object().put("id", id);
        if (port != null) {
            target.put("port", port);
        }
        return target;
    }

    private static boolean isIpv6(String text) {
        if (!text.contains(":") || !IPV6.matcher(text).matches()) {
            return false;
        }
        try {
            // A literal with ':' is parsed, never resolved.
            return java.net.InetAddress.getByName(text) instanceof java.net.Inet6Address;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** Why a target does not fit the group, or null when it does. */
    private static String problem(JsonNode group, String type, String id, JsonNode target, ArrayNode registered) {
        switch (type) {
            case "IP" -> {
                boolean v6 = "IPV6".equals(group.path("config").path("ipAddressType").asText());
                boolean ok = v6 ? isIpv6(id) : IPV4.matcher(id).matches();
                return ok ? null : "'" + id + "' is not an " + (v6 ? "IPv6" : "IPv4") + " address";
            }
            case "INSTANCE" -> {
                return INSTANCE.matcher(id).matches() ? null : "'" + id + "' is not an EC2 instance id";
            }
            case "LAMBDA" -> {
                if (target.hasNonNull("port")) {
                    return "Lambda targets take no port";
                }
                if (!LAMBDA.matcher(id).matches()) {
                    return "'" + id + "' is not a Lambda function ARN";
                }
                for (JsonNode t : registered) {
                    if (!t.get("id").asText().equals(id)) {
                        return "a LAMBDA target group has one target; " + t.get("id").asText()
                                + " is registered";
                    }
                }
                return null;
            }
            case "ALB" -> {
                return ALB.matcher(id).matches() ? null : "'" + id + "' is not an Application Load Balancer ARN";
            }
            default -> {
                return "unknown target group type " + type;
            }
        }
    }
}
