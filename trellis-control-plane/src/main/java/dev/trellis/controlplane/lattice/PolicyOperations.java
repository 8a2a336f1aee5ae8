package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.auth.policy.Policy;
import dev.trellis.auth.policy.PolicyParseException;
import dev.trellis.controlplane.store.StoredResource;
import java.io.IOException;
import java.util.Map;

/**
 * Auth policies (Put/Get/DeleteAuthPolicy) and resource policies (Put/Get/DeleteResourcePolicy) of service
 * networks and services, kept in the resource's document, so they go away with it. An auth policy's
 * {@code state} is Active while the resource's auth type is AWS_IAM and Inactive otherwise (lattice-facts §6).
 */
final class PolicyOperations {

    static final String AUTH_POLICY = "_authPolicy";
    static final String RESOURCE_POLICY = "_resourcePolicy";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final OutputShapes shapes;

    PolicyOperations(OutputShapes shapes) {
        this.shapes = shapes;
    }

    void register(Map<String, LatticeOperation> ops) {
        ops.put("PutAuthPolicy", this::putAuthPolicy);
        ops.put("GetAuthPolicy", this::getAuthPolicy);
        ops.put("DeleteAuthPolicy", this::deleteAuthPolicy);
        ops.put("PutResourcePolicy", this::putResourcePolicy);
        ops.put("GetResourcePolicy", this::getResourcePolicy);
        ops.put("DeleteResourcePolicy", this::deleteResourcePolicy);
    }

    /**
     * Checks the text of an auth policy before it is stored: at most 10 KB, and a JSON object. This is the one
     * place the IAM policy parser ({@code PolicyParser} of trellis-auth) is to be wired in, so that grammar errors
     * are ValidationException naming the statement and element.
     */
    /**
     * Parses an auth policy with the IAM policy engine: a resource-based policy of at most 10,240 bytes, every
     * element and condition operator checked (docs/policies.md). The message says what is wrong and where.
     */
    static void validateAuthPolicyDocument(String policy) {
        try {
            Policy.parseAuthPolicy(policy);
        } catch (PolicyParseException e) {
            throw LatticeErrors.invalid("policy", e.getMessage());
        }
    }

    private static void requireJsonObject(String policy, String field) {
        JsonNode parsed;
        try {
            parsed = JSON.readTree(policy);
        } catch (IOException e) {
            throw LatticeErrors.invalid(field, "is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (parsed == null || !parsed.isObject()) {
            throw LatticeErrors.invalid(field, "must be a JSON object (a policy document)");
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static String state(StoredResource resource) {
        return "AWS_IAM".equals(Documents.text(resource.document(), "authType")) ? "Active" : "Inactive";
    }

    private ObjectNode putAuthPolicy(OperationContext ctx, ObjectNode input) {
        StoredResource resource = ResourceLookup.requireServiceOrNetwork(ctx,
                input.get("resourceIdentifier").asText());
        ctx.authorize("PutAuthPolicy", resource.arn());
        String policy = input.get("policy").asText();
        validateAuthPolicyDocument(policy);
        ObjectNode doc = resource.document().deepCopy();
        String now = Documents.now(ctx);
        ObjectNode stored = Documents.object();
        stored.put("policy", policy);
        stored.put("createdAt", doc.has(AUTH_POLICY) ? doc.get(AUTH_POLICY).get("createdAt").asText() : now);
        stored.put("lastUpdatedAt", now);
        doc.set(AUTH_POLICY, stored);
        ctx.tx().update(resource.withDocument(doc));
        ObjectNode out = Documents.object();
        out.put("policy", policy);
        out.put("state", state(resource));
        return out;
    }

    private ObjectNode getAuthPolicy(OperationContext ctx, ObjectNode input) {
        String identifier = input.get("resourceIdentifier").asText();
        StoredResource resource = ResourceLookup.requireServiceOrNetwork(ctx, identifier);
        ctx.authorize("GetAuthPolicy", resource.arn());
        JsonNode stored = resource.document().get(AUTH_POLICY);
        if (stored == null) {
            throw LatticeErrors.notFound("AUTH_POLICY", identifier, resource.id() + " has no auth policy");
        }
        ObjectNode view = stored.deepCopy();
        view.put("state", state(resource));
        return shapes.project("GetAuthPolicyResponse", view);
    }

    private ObjectNode deleteAuthPolicy(OperationContext ctx, ObjectNode input) {
        StoredResource resource = ResourceLookup.requireServiceOrNetwork(ctx,
                input.get("resourceIdentifier").asText());
        ctx.authorize("DeleteAuthPolicy", resource.arn());
        if (resource.document().has(AUTH_POLICY)) {
            ObjectNode doc = resource.document().deepCopy();
            doc.remove(AUTH_POLICY);
            ctx.tx().update(resource.withDocument(doc));
        }
        return Documents.object();
    }

    private ObjectNode putResourcePolicy(OperationContext ctx, ObjectNode input) {
        StoredResource resource = ResourceLookup.requireServiceOrNetwork(ctx, input.get("resourceArn").asText());
        ctx.authorize("PutResourcePolicy", resource.arn());
        String policy = input.get("policy").asText();
        requireJsonObject(policy, "policy");
        ObjectNode doc = resource.document().deepCopy();
        doc.put(RESOURCE_POLICY, policy);
        ctx.tx().update(resource.withDocument(doc));
        return Documents.object();
    }

    private ObjectNode getResourcePolicy(OperationContext ctx, ObjectNode input) {
        String arn = input.get("resourceArn").asText();
        StoredResource resource = ResourceLookup.requireServiceOrNetwork(ctx, arn);
        ctx.authorize("GetResourcePolicy", resource.arn());
        String policy = Documents.text(resource.document(), RESOURCE_POLICY);
        if (policy == null) {
            throw LatticeErrors.notFound("RESOURCE_POLICY", arn, resource.id() + " has no resource policy");
        }
        return Documents.object().put("policy", policy);
    }

    private ObjectNode deleteResourcePolicy(OperationContext ctx, ObjectNode input) {
        StoredResource resource = ResourceLookup.requireServiceOrNetwork(ctx, input.get("resourceArn").asText());
        ctx.authorize("DeleteResourcePolicy", resource.arn());
        if (resource.document().has(RESOURCE_POLICY)) {
            ObjectNode doc = resource.document().deepCopy();
            doc.remove(RESOURCE_POLICY);
            ctx.tx().update(resource.withDocument(doc));
        }
        return Documents.object();
    }
}
