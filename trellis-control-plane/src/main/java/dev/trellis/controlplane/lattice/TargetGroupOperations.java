package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.ResourceIds;
import java.util.Map;
import java.util.Set;

/**
 * Target groups: Create, Get, List (filtered by VPC and type), Update (healthCheck only) and Delete (refused while a
 * listener or rule forwards to the group). Configuration defaults and restrictions by type follow lattice-facts §5.
 */
final class TargetGroupOperations {

    private static final ResourceKind KIND = ResourceKind.TARGET_GROUP;

    private final OutputShapes shapes;

    TargetGroupOperations(OutputShapes shapes) {
        this.shapes = shapes;
    }

    void register(Map<String, LatticeOperation> ops) {
        ops.put("CreateTargetGroup", this::create);
        ops.put("GetTargetGroup", this::get);
        ops.put("ListTargetGroups", this::list);
        ops.put("UpdateTargetGroup", this::update);
        ops.put("DeleteTargetGroup", this::delete);
    }

    private ObjectNode create(OperationContext ctx, ObjectNode input) {
        String account = ctx.caller().accountId();
        String id = ResourceIds.newId(KIND.idPrefix());
        String arn = KIND.arn(ctx.config(), account, id);
        ctx.authorize("CreateTargetGroup", arn);
        String name = input.get("name").asText();
        String type = input.get("type").asText();
        ObjectNode config = config(ctx, type, input.get("config"));
        ctx.tx().getByName(KIND.storeKind(), account, null, name).ifPresent(existing -> {
            throw LatticeErrors.conflict(KIND, existing.id(), "A target group named '" + name
                    + "' already exists in this account: " + existing.id());
        });
        Quota.TARGET_GROUPS_PER_REGION.check(ctx.tx().count(KIND.storeKind(), account) + 1,
                ctx.config().quotas().targetGroupsPerRegion(), KIND, null);
        String now = Documents.now(ctx);
        ObjectNode doc = Documents.object();
        doc.put("id", id);
        doc.put("arn", arn);
        doc.put("name", name);
        doc.put("type", type);
        doc.set("config", config);
        doc.put("status", "ACTIVE");
        doc.put("createdAt", now);
        doc.put("lastUpdatedAt", now);
        doc.putObject(RuleActions.USED_BY);
        doc.putArray(Targets.FIELD);
        Tags.apply(doc, input.get("tags"), "tags");
        ctx.tx().insert(StoredResource.create(KIND.storeKind(), id, arn, account, account, name, doc));
        return shapes.project("CreateTargetGroupResponse", doc);
    }

    /** The stored configuration of a new group of {@code type}: what was given, checked, with the defaults. */
    private static ObjectNode config(OperationContext ctx, String type, JsonNode given) {
        ObjectNode config = Documents.object();
        if (type.equals("LAMBDA")) {
            if (given != null && !given.isNull()) {
                for (String field : new String[] {"port", "protocol", "protocolVersion", "ipAddressType",
                    "vpcIdentifier", "healthCheck"}) {
                    if (Documents.has(given, field)) {
                        throw LatticeErrors.invalid("config." + field, "is not supported for LAMBDA target groups");
                    }
                }
            }
            config.put("lambdaEventStructureVersion", given == null || !Documents.has(given,
                    "lambdaEventStructureVersion") ? "V1" : given.get("lambdaEventStructureVersion").asText());
            return config;
        }
        if (given == null || given.isNull()) {
            throw LatticeErrors.invalid("config", "is required for " + type + " target groups (protocol, port and"
                    + " vpcIdentifier)");
        }
        if (Documents.has(given, "lambdaEventStructureVersion")) {
            throw LatticeErrors.invalid("config.lambdaEventStructureVersion", "is supported only for LAMBDA target"
                    + " groups");
        }
        String protocol = Documents.text(given, "protocol");
        if (protocol == null) {
            throw LatticeErrors.invalid("config.protocol", "is required for " + type + " target groups");
        }
        String vpc = Documents.text(given, "vpcIdentifier");
        if (vpc == null) {
            throw LatticeErrors.invalid("config.vpcIdentifier", "is required for " + type + " target groups");
        }
        Vpcs.requireKnownVpc(ctx, vpc);
        if (type.equals("ALB") && protocol.equals("TCP")) {
            throw LatticeErrors.invalid("config.protocol", "ALB target groups take HTTP or HTTPS");
        }
        int port;
        if (Documents.has(given, "port")) {
            port = given.get("port").asInt();
        } else if (protocol.equals("TCP")) {
            throw LatticeErrors.invalid("config.port", "is required for TCP target groups");
        } else {
            port = protocol.equals("HTTPS") ? 443 : 80;
        }
        String protocolVersion = Documents.text(given, "protocolVersion");
        if (protocol.equals("TCP") && protocolVersion != null) {
            throw LatticeErrors.invalid("config.protocolVersion", "is not supported for TCP target groups");
        }
        if (protocolVersion == null && !protocol.equals("TCP")) {
            protocolVersion = "HTTP1";
        }
        if (Documents.has(given, "ipAddressType") && !type.equals("IP")) {
            throw LatticeErrors.invalid("config.ipAddressType", "is supported only for IP target groups");
        }
        if (Documents.has(given, "healthCheck") && type.equals("ALB")) {
            throw LatticeErrors.invalid("config.healthCheck", "is not supported for ALB target groups");
        }
        config.put("port", port);
        config.put("protocol", protocol);
        if (protocolVersion != null) {
            config.put("protocolVersion", protocolVersion);
        }
        if (type.equals("IP")) {
            config.put("ipAddressType", given.path("ipAddressType").asText("IPV4"));
        }
        config.put("vpcIdentifier", vpc);
        if (!type.equals("ALB")) {
            config.set("healthCheck", HealthChecks.apply(HealthChecks.defaults(protocol, protocolVersion),
                    given.get("healthCheck"), "config.healthCheck"));
        }
        return config;
    }

    /** The document as Get answers it: with {@code serviceArns}. */
    static ObjectNode view(StoredResource group) {
        ObjectNode view = group.document().deepCopy();
        var arns = view.putArray("serviceArns");
        RuleActions.serviceArns(group.document()).forEach(arns::add);
        return view;
    }

    private ObjectNode get(OperationContext ctx, ObjectNode input) {
        StoredResource group = ResourceLookup.require(ctx, KIND, input.get("targetGroupIdentifier").asText());
        ctx.authorize("GetTargetGroup", group.arn());
        return shapes.project("GetTargetGroupResponse", view(group));
    }

    private ObjectNode list(OperationContext ctx, ObjectNode input) {
        ctx.authorize("ListTargetGroups", "*");
        String vpc = Documents.text(input, "vpcIdentifier");
        String type = Documents.text(input, "targetGroupType");
        Pages.Page<StoredResource> page = Pages.fromStore(ctx, "ListTargetGroups", input, KIND.storeKind(),
                ctx.caller().accountId(), group -> {
                    JsonNode doc = group.document();
                    return (vpc == null || vpc.equals(doc.path("config").path("vpcIdentifier").asText(null)))
                            && (type == null || type.equals(doc.path("type").asText()));
                });
        ObjectNode out = Documents.object();
        var items = out.putArray("items");
        for (StoredResource group : page.items()) {
            ObjectNode view = view(group);
            JsonNode config = view.path("config");
            for (String field : new String[] {"port", "protocol", "ipAddressType", "vpcIdentifier",
                "lambdaEventStructureVersion"}) {
                if (Documents.has(config, field)) {
                    view.set(field, config.get(field).deepCopy());
                }
            }
            items.add(shapes.project("TargetGroupSummary", view));
        }
        if (page.nextToken() != null) {
            out.put("nextToken", page.nextToken());
        }
        return out;
    }

    private ObjectNode update(OperationContext ctx, ObjectNode input) {
        StoredResource group = ResourceLookup.require(ctx, KIND, input.get("targetGroupIdentifier").asText());
        ctx.authorize("UpdateTargetGroup", group.arn());
        ObjectNode doc = group.document().deepCopy();
        String type = doc.get("type").asText();
        if (type.equals("LAMBDA") || type.equals("ALB")) {
            throw LatticeErrors.invalid("healthCheck", "health checks are not supported for " + type
                    + " target groups");
        }
        ObjectNode config = (ObjectNode) doc.get("config");
        ObjectNode current = config.has("healthCheck") ? (ObjectNode) config.get("healthCheck")
                : HealthChecks.defaults(config.path("protocol").asText(), config.path("protocolVersion").asText());
        config.set("healthCheck", HealthChecks.apply(current, input.get("healthCheck"), "healthCheck"));
        doc.put("lastUpdatedAt", Documents.now(ctx));
        ctx.tx().update(group.withDocument(doc));
        return shapes.project("UpdateTargetGroupResponse", doc);
    }

    private ObjectNode delete(OperationContext ctx, ObjectNode input) {
        StoredResource group = ResourceLookup.require(ctx, KIND, input.get("targetGroupIdentifier").asText());
        ctx.authorize("DeleteTargetGroup", group.arn());
        Set<String> services = RuleActions.serviceArns(group.document());
        if (!services.isEmpty()) {
            throw LatticeErrors.conflict(KIND, group.id(), "Target group " + group.id() + " is used by listener"
                    + " rules of " + String.join(", ", services) + "; remove it from them first");
        }
        ctx.tx().delete(KIND.storeKind(), group.id());
        ObjectNode out = Documents.pick(group.document(), "id", "arn");
        out.put("status", "DELETE_IN_PROGRESS");
        return out;
    }
}
