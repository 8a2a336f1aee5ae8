package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The targets of a target group: RegisterTargets, DeregisterTargets and ListTargets. Targets live in the group's
 * document ({@code _targets}: id, port and a sequence number that orders and pages them). A target is an id and a
 * port (the group's port unless given); registering it again changes nothing, and deregistering a target that is
 * not registered succeeds. Targets that do not fit the group's type are reported in {@code unsuccessful} with
 * failure code {@value #INVALID_TARGET}.
 */
final class Targets {

    static final String FIELD = "_targets";
    static final String NEXT_SEQ = "_nextTargetSeq";
    static final String INVALID_TARGET = "InvalidTarget";

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
            if (indexOf(registered, id, port) < 0) {
                ObjectNode entry = registered.addObject().put("id", id);
                if (port != null) {
                    entry.put("port", port);
                }
                entry.put("seq", nextSeq++);
            }
            successful.add(summary(id, port));
        }
        Quota.TARGETS_PER_TARGET_GROUP.check(registered.size(), ctx.config().quotas().targetsPerTargetGroup(),
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
        ObjectNode out = Documents.object();
        ArrayNode successful = out.putArray("successful");
        out.putArray("unsuccessful");
        for (JsonNode target : input.get("targets")) {
            String id = target.get("id").asText();
            Integer port = port(doc, target);
            int index = indexOf(registered, id, port);
            if (index >= 0) {
                registered.remove(index);
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
        List<JsonNode> selected = new ArrayList<>();
        for (JsonNode target : doc.path(FIELD)) {
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
        if (target.hasNonNull("port")) {
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
