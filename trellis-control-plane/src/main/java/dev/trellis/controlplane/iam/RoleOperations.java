package dev.trellis.controlplane.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.identity.IamEntities;
import dev.trellis.controlplane.identity.IamIds;
import dev.trellis.controlplane.store.StoredResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Roles: {@code CreateRole}, {@code GetRole}, {@code DeleteRole}, {@code ListRoles},
 * {@code UpdateAssumeRolePolicy}, {@code TagRole}, {@code UntagRole}, {@code ListRoleTags}. The trust policy
 * ({@code AssumeRolePolicyDocument}) is validated as a role trust policy and kept as sent; responses carry it
 * URL-encoded, as IAM does.
 */
final class RoleOperations {

    /** IAM's default quotas. */
    static final int MAX_ROLES = 1_000;
    static final int MAX_TRUST_POLICY_SIZE = 2_048;
    static final int DEFAULT_MAX_SESSION_DURATION = 3_600;

    /** Members of Role that ListRoles leaves out, as IAM does. */
    private static final Set<String> NOT_LISTED = Set.of("Tags", "PermissionsBoundary", "RoleLastUsed");

    private RoleOperations() {
    }

    static void register(Map<String, IamOperation> into) {
        into.put("CreateRole", RoleOperations::create);
        into.put("GetRole", RoleOperations::get);
        into.put("DeleteRole", RoleOperations::delete);
        into.put("ListRoles", RoleOperations::list);
        into.put("UpdateAssumeRolePolicy", RoleOperations::updateAssumeRolePolicy);
        into.put("TagRole", RoleOperations::tag);
        into.put("UntagRole", RoleOperations::untag);
        into.put("ListRoleTags", RoleOperations::listTags);
    }

    private static ObjectNode create(IamContext ctx, ObjectNode in) {
        String name = in.get("RoleName").asText();
        String path = in.path("Path").asText("/");
        String arn = ctx.arn("role", path, name);
        ctx.authorize("CreateRole", arn);
        UserOperations.rejectPermissionsBoundary(in);
        IamTags.validate(in.get("Tags"));
        if (IdentityKind.ROLE.find(ctx, name).isPresent()) {
            throw IamErrors.alreadyExists("Role with name " + name + " already exists.");
        }
        String trust = in.get("AssumeRolePolicyDocument").asText();
        requireTrustPolicy(trust);
        if (ctx.tx().count(IamEntities.ROLE, null) >= MAX_ROLES) {
            throw IamErrors.quota("RolesPerAccount", MAX_ROLES);
        }
        String roleId = IamIds.roleId();
        ObjectNode role = JsonNodeFactory.instance.objectNode()
                .put("Path", path)
                .put("RoleName", name)
                .put("RoleId", roleId)
                .put("Arn", arn)
                .put("CreateDate", IamEntities.timestamp(ctx.clock().instant()))
                .put("AssumeRolePolicyDocument", trust);
        if (in.hasNonNull("Description")) {
            role.put("Description", in.get("Description").asText());
        }
        role.put("MaxSessionDuration", in.path("MaxSessionDuration").asInt(DEFAULT_MAX_SESSION_DURATION));
        IamTags.apply(role, in.get("Tags"), "TagsPerRole");
        role.putObject("RoleLastUsed");
        ctx.tx().insert(StoredResource.create(IamEntities.ROLE, roleId, arn, ctx.accountId(), null,
                IamEntities.nameKey(name), role));
        return roleOutput(role);
    }

    private static ObjectNode get(IamContext ctx, ObjectNode in) {
        return roleOutput(IdentityKind.ROLE.require(ctx, "GetRole", in.get("RoleName").asText()).document());
    }

    private static ObjectNode delete(IamContext ctx, ObjectNode in) {
        StoredResource role = IdentityKind.ROLE.require(ctx, "DeleteRole", in.get("RoleName").asText());
        if (!IamEntities.inlinePolicyNames(role.document()).isEmpty()) {
            throw IamErrors.deleteConflict("Cannot delete entity, must delete policies first.");
        }
        if (!IamEntities.attachedPolicyArns(role.document()).isEmpty()) {
            throw IamErrors.deleteConflict("Cannot delete entity, must detach all policies first.");
        }
        ctx.tx().delete(IamEntities.ROLE, role.id());
        return null;
    }

    private static ObjectNode list(IamContext ctx, ObjectNode in) {
        String prefix = in.path("PathPrefix").asText("/");
        ctx.authorize("ListRoles", ctx.arn("role", prefix, ""));
        IamPages.Page<StoredResource> page = IamPages.fromStore(ctx, "ListRoles", in, IamEntities.ROLE, null,
                r -> r.document().path("Path").asText("/").startsWith(prefix));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode roles = out.putArray("Roles");
        for (StoredResource r : page.items()) {
            ObjectNode listed = encoded(r.document());
            listed.remove(NOT_LISTED);
            roles.add(listed);
        }
        IamPages.finish(out, page);
        return out;
    }

    private static ObjectNode updateAssumeRolePolicy(IamContext ctx, ObjectNode in) {
        StoredResource role = IdentityKind.ROLE.require(ctx, "UpdateAssumeRolePolicy", in.get("RoleName").asText());
        String trust = in.get("PolicyDocument").asText();
        requireTrustPolicy(trust);
        ObjectNode document = role.document().deepCopy();
        document.put("AssumeRolePolicyDocument", trust);
        ctx.tx().update(role.withDocument(document));
        return null;
    }

    private static ObjectNode tag(IamContext ctx, ObjectNode in) {
        StoredResource role = IdentityKind.ROLE.require(ctx, "TagRole", in.get("RoleName").asText());
        ObjectNode document = role.document().deepCopy();
        IamTags.apply(document, in.get("Tags"), "TagsPerRole");
        ctx.tx().update(role.withDocument(document));
        return null;
    }

    private static ObjectNode untag(IamContext ctx, ObjectNode in) {
        StoredResource role = IdentityKind.ROLE.require(ctx, "UntagRole", in.get("RoleName").asText());
        ObjectNode document = role.document().deepCopy();
        IamTags.remove(document, in.get("TagKeys"));
        ctx.tx().update(role.withDocument(document));
        return null;
    }

    private static ObjectNode listTags(IamContext ctx, ObjectNode in) {
        StoredResource role = IdentityKind.ROLE.require(ctx, "ListRoleTags", in.get("RoleName").asText());
        List<JsonNode> tags = new ArrayList<>();
        role.document().path("Tags").forEach(tags::add);
        IamPages.Page<JsonNode> page = IamPages.fromList("ListRoleTags", in, tags);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode list = out.putArray("Tags");
        page.items().forEach(list::add);
        IamPages.finish(out, page);
        return out;
    }

    private static void requireTrustPolicy(String document) {
        if (PolicyDocuments.size(document) > MAX_TRUST_POLICY_SIZE) {
            throw IamErrors.quota("ACLSizePerRole", MAX_TRUST_POLICY_SIZE);
        }
        PolicyDocuments.requireTrustPolicy(document);
    }

    private static ObjectNode roleOutput(JsonNode role) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.set("Role", encoded(role));
        return out;
    }

    /** A copy of a role document with its trust policy URL-encoded, as IAM returns it. */
    private static ObjectNode encoded(JsonNode role) {
        ObjectNode copy = role.deepCopy();
        copy.put("AssumeRolePolicyDocument", PolicyDocuments.urlEncode(role.path("AssumeRolePolicyDocument").asText()));
        return copy;
    }
}
