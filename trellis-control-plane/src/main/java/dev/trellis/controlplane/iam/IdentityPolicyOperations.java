package dev.trellis.controlplane.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.identity.IamEntities;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.store.StoredResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The policies of users and roles, the same operations for both kinds: inline policies
 * ({@code Put/Get/Delete/List{User,Role}Policy}) and attached managed policies
 * ({@code Attach/Detach/ListAttached{User,Role}Policies}).
 */
final class IdentityPolicyOperations {

    private IdentityPolicyOperations() {
    }

    static void register(Map<String, IamOperation> into) {
        for (IdentityKind kind : IdentityKind.values()) {
            String k = kind == IdentityKind.USER ? "User" : "Role";
            into.put("Put" + k + "Policy", (ctx, in) -> putInline(ctx, in, kind, "Put" + k + "Policy"));
            into.put("Get" + k + "Policy", (ctx, in) -> getInline(ctx, in, kind, "Get" + k + "Policy"));
            into.put("Delete" + k + "Policy", (ctx, in) -> deleteInline(ctx, in, kind, "Delete" + k + "Policy"));
            into.put("List" + k + "Policies", (ctx, in) -> listInline(ctx, in, kind, "List" + k + "Policies"));
            into.put("Attach" + k + "Policy", (ctx, in) -> attach(ctx, in, kind, "Attach" + k + "Policy"));
            into.put("Detach" + k + "Policy", (ctx, in) -> detach(ctx, in, kind, "Detach" + k + "Policy"));
            into.put("ListAttached" + k + "Policies",
                    (ctx, in) -> listAttached(ctx, in, kind, "ListAttached" + k + "Policies"));
        }
    }

    private static ObjectNode putInline(IamContext ctx, ObjectNode in, IdentityKind kind, String operation) {
        StoredResource entity = kind.require(ctx, operation, in.get(kind.nameMember).asText());
        String name = in.get("PolicyName").asText();
        String document = in.get("PolicyDocument").asText();
        PolicyDocuments.requireIdentityPolicy(document);
        int total = PolicyDocuments.size(document);
        for (Map.Entry<String, JsonNode> e : entity.document().path(IamEntities.INLINE_POLICIES).properties()) {
            if (!e.getKey().equals(name)) {
                total += PolicyDocuments.size(e.getValue().asText());
            }
        }
        if (total > kind.inlinePolicySizeLimit) {
            throw IamErrors.limitExceeded("Maximum policy size of " + kind.inlinePolicySizeLimit
                    + " bytes exceeded for " + kind.arnType + " " + entity.document().path(kind.nameMember).asText());
        }
        ObjectNode updated = entity.document().deepCopy();
        IamEntities.inlinePolicies(updated).put(name, document);
        ctx.tx().update(entity.withDocument(updated));
        return null;
    }

    private static ObjectNode getInline(IamContext ctx, ObjectNode in, IdentityKind kind, String operation) {
        StoredResource entity = kind.require(ctx, operation, in.get(kind.nameMember).asText());
        String name = in.get("PolicyName").asText();
        JsonNode document = entity.document().path(IamEntities.INLINE_POLICIES).get(name);
        if (document == null) {
            throw noSuchInlinePolicy(kind, name);
        }
        return JsonNodeFactory.instance.objectNode()
                .put(kind.nameMember, entity.document().path(kind.nameMember).asText())
                .put("PolicyName", name)
                .put("PolicyDocument", PolicyDocuments.urlEncode(document.asText()));
    }

    private static ObjectNode deleteInline(IamContext ctx, ObjectNode in, IdentityKind kind, String operation) {
        StoredResource entity = kind.require(ctx, operation, in.get(kind.nameMember).asText());
        String name = in.get("PolicyName").asText();
        ObjectNode document = entity.document().deepCopy();
        if (IamEntities.inlinePolicies(document).remove(name) == null) {
            throw noSuchInlinePolicy(kind, name);
        }
        ctx.tx().update(entity.withDocument(document));
        return null;
    }

    private static ObjectNode listInline(IamContext ctx, ObjectNode in, IdentityKind kind, String operation) {
        StoredResource entity = kind.require(ctx, operation, in.get(kind.nameMember).asText());
        IamPages.Page<String> page = IamPages.fromList(operation, in,
                IamEntities.inlinePolicyNames(entity.document()));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode names = out.putArray("PolicyNames");
        page.items().forEach(names::add);
        IamPages.finish(out, page);
        return out;
    }

    private static ApiException noSuchInlinePolicy(IdentityKind kind, String name) {
        return IamErrors.noSuchEntity("The " + kind.arnType + " policy with name " + name + " cannot be found.");
    }

    private static ObjectNode attach(IamContext ctx, ObjectNode in, IdentityKind kind, String operation) {
        StoredResource entity = kind.require(ctx, operation, in.get(kind.nameMember).asText());
        String policyArn = in.get("PolicyArn").asText();
        ManagedPolicyOperations.requireArnSyntax(policyArn);
        StoredResource policy = ctx.tx().getByArn(policyArn)
                .filter(p -> p.kind().equals(IamEntities.POLICY))
                .orElseThrow(() -> IamErrors.noSuchEntity("Policy " + policyArn
                        + " does not exist or is not attachable."));
        List<String> attached = IamEntities.attachedPolicyArns(entity.document());
        if (attached.contains(policyArn)) {
            return null; // attaching twice changes nothing, as in IAM
        }
        if (attached.size() >= IdentityKind.MAX_ATTACHED_POLICIES) {
            throw IamErrors.quota(kind.attachedQuotaName, IdentityKind.MAX_ATTACHED_POLICIES);
        }
        ObjectNode document = entity.document().deepCopy();
        IamEntities.attachedPolicies(document).add(policyArn);
        ctx.tx().update(entity.withDocument(document));
        ManagedPolicyOperations.addAttachment(ctx, policy, 1);
        return null;
    }

    private static ObjectNode detach(IamContext ctx, ObjectNode in, IdentityKind kind, String operation) {
        StoredResource entity = kind.require(ctx, operation, in.get(kind.nameMember).asText());
        String policyArn = in.get("PolicyArn").asText();
        ManagedPolicyOperations.requireArnSyntax(policyArn);
        ObjectNode document = entity.document().deepCopy();
        ArrayNode attached = IamEntities.attachedPolicies(document);
        int index = -1;
        for (int i = 0; i < attached.size(); i++) {
            if (attached.get(i).asText().equals(policyArn)) {
                index = i;
            }
        }
        if (index < 0) {
            throw IamErrors.noSuchEntity("Policy " + policyArn + " was not found.");
        }
        attached.remove(index);
        ctx.tx().update(entity.withDocument(document));
        ctx.tx().getByArn(policyArn).filter(p -> p.kind().equals(IamEntities.POLICY))
                .ifPresent(p -> ManagedPolicyOperations.addAttachment(ctx, p, -1));
        return null;
    }

    private static ObjectNode listAttached(IamContext ctx, ObjectNode in, IdentityKind kind, String operation) {
        StoredResource entity = kind.require(ctx, operation, in.get(kind.nameMember).asText());
        String prefix = in.path("PathPrefix").asText("/");
        List<ObjectNode> attached = new ArrayList<>();
        for (String arn : IamEntities.attachedPolicyArns(entity.document())) {
            ctx.tx().getByArn(arn).ifPresent(p -> {
                if (p.document().path("Path").asText("/").startsWith(prefix)) {
                    attached.add(JsonNodeFactory.instance.objectNode()
                            .put("PolicyName", p.document().path("PolicyName").asText())
                            .put("PolicyArn", arn));
                }
            });
        }
        IamPages.Page<ObjectNode> page = IamPages.fromList(operation, in, attached);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode list = out.putArray("AttachedPolicies");
        page.items().forEach(list::add);
        IamPages.finish(out, page);
        return out;
    }
}
