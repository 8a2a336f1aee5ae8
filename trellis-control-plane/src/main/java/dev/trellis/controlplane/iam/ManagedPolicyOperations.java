package dev.trellis.controlplane.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.identity.IamEntities;
import dev.trellis.controlplane.identity.IamIds;
import dev.trellis.controlplane.store.StoredResource;
import java.util.Map;
import java.util.Set;

/**
 * Customer managed policies: {@code CreatePolicy}, {@code GetPolicy}, {@code GetPolicyVersion},
 * {@code DeletePolicy}, {@code ListPolicies}. A policy has one version, {@code v1} (policy versions beyond the first
 * are not served). Trellis has no AWS managed policies ({@code arn:aws:iam::aws:policy/...}).
 */
final class ManagedPolicyOperations {

    /** IAM's limit on one managed policy: 6,144 characters without white space. */
    static final int MAX_POLICY_SIZE = 6_144;
    /** IAM's default quota of customer managed policies per account. */
    static final int MAX_POLICIES = 1_500;

    /** Members of Policy that ListPolicies leaves out, as IAM does. */
    private static final Set<String> NOT_LISTED = Set.of("Description", "Tags");

    private ManagedPolicyOperations() {
    }

    static void register(Map<String, IamOperation> into) {
        into.put("CreatePolicy", ManagedPolicyOperations::create);
        into.put("GetPolicy", ManagedPolicyOperations::get);
        into.put("GetPolicyVersion", ManagedPolicyOperations::getVersion);
        into.put("DeletePolicy", ManagedPolicyOperations::delete);
        into.put("ListPolicies", ManagedPolicyOperations::list);
    }

    private static ObjectNode create(IamContext ctx, ObjectNode in) {
        String name = in.get("PolicyName").asText();
        String path = in.path("Path").asText("/");
        String arn = ctx.arn("policy", path, name);
        ctx.authorize("CreatePolicy", arn);
        String document = in.get("PolicyDocument").asText();
        if (ctx.tx().getByName(IamEntities.POLICY, ctx.accountId(), null, IamEntities.nameKey(name)).isPresent()) {
            throw IamErrors.alreadyExists("A policy called " + name + " already exists. Duplicate names are not"
                    + " allowed.");
        }
        if (PolicyDocuments.size(document) > MAX_POLICY_SIZE) {
            throw IamErrors.quota("PolicySize", MAX_POLICY_SIZE);
        }
        PolicyDocuments.requireIdentityPolicy(document);
        if (ctx.tx().count(IamEntities.POLICY, null) >= MAX_POLICIES) {
            throw IamErrors.quota("PoliciesPerAccount", MAX_POLICIES);
        }
        String now = IamEntities.timestamp(ctx.clock().instant());
        String policyId = IamIds.policyId();
        ObjectNode policy = JsonNodeFactory.instance.objectNode()
                .put("PolicyName", name)
                .put("PolicyId", policyId)
                .put("Arn", arn)
                .put("Path", path)
                .put("DefaultVersionId", "v1")
                .put("AttachmentCount", 0)
                .put("PermissionsBoundaryUsageCount", 0)
                .put("IsAttachable", true);
        if (in.hasNonNull("Description")) {
            policy.put("Description", in.get("Description").asText());
        }
        policy.put("CreateDate", now).put("UpdateDate", now);
        IamTags.apply(policy, in.get("Tags"), "TagsPerPolicy");
        policy.putArray("versions").addObject()
                .put("VersionId", "v1")
                .put("Document", document)
                .put("IsDefaultVersion", true)
                .put("CreateDate", now);
        ctx.tx().insert(StoredResource.create(IamEntities.POLICY, policyId, arn, ctx.accountId(), null,
                IamEntities.nameKey(name), policy));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.set("Policy", policy);
        return out;
    }

    private static ObjectNode get(IamContext ctx, ObjectNode in) {
        StoredResource policy = require(ctx, "GetPolicy", in.get("PolicyArn").asText());
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.set("Policy", policy.document());
        return out;
    }

    private static ObjectNode getVersion(IamContext ctx, ObjectNode in) {
        String arn = in.get("PolicyArn").asText();
        StoredResource policy = require(ctx, "GetPolicyVersion", arn);
        String versionId = in.get("VersionId").asText();
        for (JsonNode version : policy.document().path("versions")) {
            if (version.path("VersionId").asText().equals(versionId)) {
                ObjectNode copy = version.deepCopy();
                copy.put("Document", PolicyDocuments.urlEncode(version.path("Document").asText()));
                ObjectNode out = JsonNodeFactory.instance.objectNode();
                out.set("PolicyVersion", copy);
                return out;
            }
        }
        throw IamErrors.noSuchEntity("Policy " + arn + " version " + versionId + " does not exist.");
    }

    private static ObjectNode delete(IamContext ctx, ObjectNode in) {
        StoredResource policy = require(ctx, "DeletePolicy", in.get("PolicyArn").asText());
        if (policy.document().path("AttachmentCount").asInt() > 0) {
            throw IamErrors.deleteConflict("Cannot delete a policy attached to entities.");
        }
        ctx.tx().delete(IamEntities.POLICY, policy.id());
        return null;
    }

    private static ObjectNode list(IamContext ctx, ObjectNode in) {
        String prefix = in.path("PathPrefix").asText("/");
        ctx.authorize("ListPolicies", ctx.arn("policy", prefix, ""));
        String scope = in.path("Scope").asText("All");
        boolean onlyAttached = in.path("OnlyAttached").asBoolean(false);
        // No policy is a permissions boundary in Trellis, and there are no AWS managed policies.
        boolean none = scope.equals("AWS") || in.path("PolicyUsageFilter").asText("").equals("PermissionsBoundary");
        IamPages.Page<StoredResource> page = IamPages.fromStore(ctx, "ListPolicies", in, IamEntities.POLICY, null,
                p -> !none && p.document().path("Path").asText("/").startsWith(prefix)
                        && (!onlyAttached || p.document().path("AttachmentCount").asInt() > 0));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode policies = out.putArray("Policies");
        for (StoredResource p : page.items()) {
            ObjectNode listed = p.document().deepCopy();
            listed.remove(NOT_LISTED);
            policies.add(listed);
        }
        IamPages.finish(out, page);
        return out;
    }

    /** The policy at {@code arn}, after checking that the caller may run {@code operation} on it. */
    private static StoredResource require(IamContext ctx, String operation, String arn) {
        requireArnSyntax(arn);
        ctx.authorize(operation, arn);
        return ctx.tx().getByArn(arn).filter(p -> p.kind().equals(IamEntities.POLICY))
                .orElseThrow(() -> IamErrors.noSuchEntity("Policy " + arn + " was not found."));
    }

    /** {@code InvalidInput} unless {@code arn} has the six parts of an ARN. */
    static void requireArnSyntax(String arn) {
        String[] parts = arn.split(":", 6);
        if (parts.length != 6 || !parts[0].equals("arn") || parts[1].isEmpty() || parts[2].isEmpty()
                || parts[5].isEmpty()) {
            throw IamErrors.invalidInput("ARN " + arn + " is not valid.");
        }
    }

    /** Changes a policy's {@code AttachmentCount} by {@code delta}. */
    static void addAttachment(IamContext ctx, StoredResource policy, int delta) {
        ObjectNode document = policy.document().deepCopy();
        document.put("AttachmentCount", Math.max(0, document.path("AttachmentCount").asInt() + delta));
        ctx.tx().update(policy.withDocument(document));
    }
}
