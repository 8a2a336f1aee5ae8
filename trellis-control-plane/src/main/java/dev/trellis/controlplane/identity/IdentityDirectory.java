package dev.trellis.controlplane.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.auth.Principal;
import dev.trellis.auth.sigv4.CredentialResolver;
import dev.trellis.auth.sigv4.SigningCredential;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The IAM identities the control plane knows — users and their access keys — kept in the {@link Store}
 * (kinds {@code iam-user} and {@code iam-access-key}). It answers the SigV4 verifier's credential look-ups and gives
 * the authorizer each principal's identity-based policies. The first start of a control plane creates its admin.
 */
public final class IdentityDirectory {

    public static final String USER = "iam-user";
    public static final String ACCESS_KEY = "iam-access-key";
    /** The admin's inline policy: everything, as AWS's AdministratorAccess. */
    static final String ADMIN_POLICY =
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}";

    private final Store store;
    private final ControlPlaneConfig config;
    private final Clock clock;

    public IdentityDirectory(Store store, ControlPlaneConfig config, Clock clock) {
        this.store = store;
        this.config = config;
        this.clock = clock;
    }

    /** The admin's first access key, shown once at the first start. */
    public record AdminCredentials(String accountId, String userName, String accessKeyId, String secretAccessKey) {
        @Override
        public String toString() {
            return "AdminCredentials[" + accountId + ", " + userName + ", " + accessKeyId + "]";
        }
    }

    /**
     * Creates the user {@code admin} with full access and an access key when the account has no user yet.
     *
     * @return the new credentials, or empty when the account was bootstrapped before
     */
    public Optional<AdminCredentials> bootstrap() {
        return store.write(tx -> {
            if (tx.count(USER, null) > 0) {
                return Optional.empty();
            }
            ObjectNode user = createUser(tx, "admin", "/");
            user.putObject("inlinePolicies").put("AdministratorAccess", ADMIN_POLICY);
            tx.update(tx.get(USER, user.get("UserId").asText()).orElseThrow().withDocument(user));
            String[] key = insertAccessKey(tx, tx.get(USER, user.get("UserId").asText()).orElseThrow());
            return Optional.of(new AdminCredentials(config.accountId(), "admin", key[0], key[1]));
        });
    }

    /** An access key of a user: the id and its secret. */
    public record AccessKey(String userName, String accessKeyId, String secretAccessKey) {
        @Override
        public String toString() {
            return "AccessKey[" + userName + ", " + accessKeyId + "]";
        }
    }

    /** Creates a user with these inline policies (name → JSON document) and one access key. */
    public AccessKey createUserWithAccessKey(String userName, Map<String, String> inlinePolicies) {
        return store.write(tx -> {
            ObjectNode user = createUser(tx, userName, "/");
            ObjectNode policies = user.putObject("inlinePolicies");
            inlinePolicies.forEach(policies::put);
            StoredResource stored = tx.get(USER, user.get("UserId").asText()).orElseThrow();
            tx.update(stored.withDocument(user));
            String[] key = insertAccessKey(tx, stored);
            return new AccessKey(userName, key[0], key[1]);
        });
    }

    /** Adds an active access key to a user; returns its id and secret. */
    private String[] insertAccessKey(StoreTransaction tx, StoredResource user) {
        String accessKeyId = IamIds.accessKeyId();
        String secret = IamIds.secretAccessKey();
        ObjectNode key = JsonNodeFactory.instance.objectNode()
                .put("AccessKeyId", accessKeyId)
                .put("SecretAccessKey", secret)
                .put("UserName", user.name())
                .put("Status", "Active")
                .put("CreateDate", clock.instant().toString());
        tx.insert(StoredResource.create(ACCESS_KEY, accessKeyId,
                "arn:" + config.partition() + ":iam::" + config.accountId() + ":access-key/" + accessKeyId,
                config.accountId(), user.id(), null, key));
        return new String[] {accessKeyId, secret};
    }

    private ObjectNode createUser(StoreTransaction tx, String userName, String path) {
        String userId = IamIds.userId();
        String arn = "arn:" + config.partition() + ":iam::" + config.accountId() + ":user" + path + userName;
        ObjectNode user = JsonNodeFactory.instance.objectNode()
                .put("UserName", userName)
                .put("UserId", userId)
                .put("Path", path)
                .put("Arn", arn)
                .put("CreateDate", clock.instant().toString());
        tx.insert(StoredResource.create(USER, userId, arn, config.accountId(), null, userName, user));
        return user;
    }

    /** Looks access keys up in the store: the control plane verifies signatures with the secret. */
    public CredentialResolver credentialResolver() {
        return accessKeyId -> store.read(tx -> {
            Optional<StoredResource> key = tx.get(ACCESS_KEY, accessKeyId);
            if (key.isEmpty() || !"Active".equals(key.get().document().path("Status").asText())) {
                return Optional.empty();
            }
            Optional<StoredResource> user = tx.get(USER, key.get().parentId());
            if (user.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(SigningCredential.builder(accessKeyId, principal(user.get()))
                    .secretAccessKey(key.get().document().get("SecretAccessKey").asText())
                    .build());
        });
    }

    /** The identity-based policy documents of a principal (inline first, then attached), as JSON text. */
    public List<String> identityPolicies(Principal principal) {
        if (principal.type() != Principal.Type.User) {
            return List.of();
        }
        return store.read(tx -> {
            Optional<StoredResource> user = tx.getByArn(principal.arn());
            List<String> policies = new ArrayList<>();
            user.ifPresent(u -> u.document().path("inlinePolicies").forEach(p -> policies.add(p.asText())));
            return policies;
        });
    }

    private Principal principal(StoredResource user) {
        JsonNode doc = user.document();
        Map<String, String> tags = new HashMap<>();
        doc.path("Tags").forEach(t -> tags.put(t.path("Key").asText(), t.path("Value").asText()));
        return Principal.user(config.partition(), user.accountId(), doc.path("Path").asText("/"),
                doc.path("UserName").asText(), doc.path("UserId").asText(), tags);
    }
}
