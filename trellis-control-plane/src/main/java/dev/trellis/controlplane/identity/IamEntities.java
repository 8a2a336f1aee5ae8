package dev.trellis.controlplane.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.auth.Principal;
import dev.trellis.controlplane.ControlPlaneConfig;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How IAM entities are kept in the store: their kinds, ARNs and documents. Documents hold the model's members
 * ({@code UserName}, {@code RoleId}, {@code Tags}, ...) plus Trellis's own fields, which start with a lower-case
 * letter ({@code inlinePolicies}: name → JSON document, {@code attachedPolicies}: managed policy ARNs). The store's
 * {@code name} column holds the lower-cased name, because IAM names are unique regardless of case.
 */
public final class IamEntities {

    public static final String USER = "iam-user";
    public static final String ACCESS_KEY = "iam-access-key";
    public static final String ROLE = "iam-role";
    public static final String POLICY = "iam-policy";
    public static final String OIDC_PROVIDER = "iam-oidc-provider";
    /** Temporary credentials issued by STS; id = the {@code ASIA} access key id. */
    public static final String SESSION = "sts-session";

    public static final String INLINE_POLICIES = "inlinePolicies";
    public static final String ATTACHED_POLICIES = "attachedPolicies";

    private IamEntities() {
    }

    /** The name column value for an IAM name: names differ only if they differ ignoring case. */
    public static String nameKey(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    public static String arn(ControlPlaneConfig config, String type, String path, String name) {
        return "arn:" + config.partition() + ":iam::" + config.accountId() + ":" + type + path + name;
    }

    /** Timestamps as IAM writes them: ISO 8601, whole seconds, UTC. */
    public static String timestamp(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** A new user document. */
    public static ObjectNode newUser(ControlPlaneConfig config, String userName, String path, String userId,
                                     Instant now) {
        return JsonNodeFactory.instance.objectNode()
                .put("Path", path)
                .put("UserName", userName)
                .put("UserId", userId)
                .put("Arn", arn(config, "user", path, userName))
                .put("CreateDate", timestamp(now));
    }

    /** A new active access key document. */
    public static ObjectNode newAccessKey(String userName, String accessKeyId, String secret, Instant now) {
        return JsonNodeFactory.instance.objectNode()
                .put("UserName", userName)
                .put("AccessKeyId", accessKeyId)
                .put("Status", "Active")
                .put("SecretAccessKey", secret)
                .put("CreateDate", timestamp(now));
    }

    /** The tags of a document's {@code Tags} list as a map, in order. */
    public static Map<String, String> tags(JsonNode document) {
        Map<String, String> tags = new LinkedHashMap<>();
        document.path("Tags").forEach(t -> tags.put(t.path("Key").asText(), t.path("Value").asText()));
        return tags;
    }

    /** The names of a document's inline policies, in the order they were first put. */
    public static List<String> inlinePolicyNames(JsonNode document) {
        List<String> names = new ArrayList<>();
        document.path(INLINE_POLICIES).fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The ARNs of the managed policies attached to a user or role document. */
    public static List<String> attachedPolicyArns(JsonNode document) {
        List<String> arns = new ArrayList<>();
        document.path(ATTACHED_POLICIES).forEach(a -> arns.add(a.asText()));
        return arns;
    }

    /** The attached-policies array of a document, created when missing. */
    public static ArrayNode attachedPolicies(ObjectNode document) {
        JsonNode existing = document.get(ATTACHED_POLICIES);
        return existing instanceof ArrayNode array ? array : document.putArray(ATTACHED_POLICIES);
    }

    /** The inline-policies object of a document, created when missing. */
    public static ObjectNode inlinePolicies(ObjectNode document) {
        JsonNode existing = document.get(INLINE_POLICIES);
        return existing instanceof ObjectNode object ? object : document.putObject(INLINE_POLICIES);
    }

    /** The default version's document of a managed policy, or null. */
    public static String defaultVersionDocument(JsonNode policy) {
        String defaultVersion = policy.path("DefaultVersionId").asText();
        for (JsonNode version : policy.path("versions")) {
            if (version.path("VersionId").asText().equals(defaultVersion)) {
                return version.path("Document").asText(null);
            }
        }
        return null;
    }

    /** The principal of a user document. */
    public static Principal userPrincipal(ControlPlaneConfig config, String accountId, JsonNode user) {
        return Principal.user(config.partition(), accountId, user.path("Path").asText("/"),
                user.path("UserName").asText(), user.path("UserId").asText(), tags(user));
    }

    /** The principal of a session document: the role session, with the role's and the session's tags. */
    public static Principal sessionPrincipal(ControlPlaneConfig config, String accountId, JsonNode session) {
        Map<String, String> tags = new LinkedHashMap<>();
        session.path("principalTags").fields().forEachRemaining(e -> tags.put(e.getKey(), e.getValue().asText()));
        return Principal.assumedRole(config.partition(), accountId, session.path("RolePath").asText("/"),
                session.path("RoleName").asText(), session.path("RoleId").asText(),
                session.path("RoleSessionName").asText(), tags);
    }
}
