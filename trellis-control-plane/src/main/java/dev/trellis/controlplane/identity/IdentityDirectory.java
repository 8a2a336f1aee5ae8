package dev.trellis.controlplane.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.auth.Principal;
import dev.trellis.auth.sigv4.CredentialResolver;
import dev.trellis.auth.sigv4.SigningCredential;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The IAM identities the control plane knows, kept in the {@link Store} as {@link IamEntities} describes: users and
 * their access keys, roles, managed policies, and the temporary credentials STS issued for role sessions. It answers
 * the SigV4 verifier's credential look-ups (long-term keys of users; session keys with their token and expiry) and
 * gives the authorizer each principal's identity-based policies (a user's, or for a role session the role's: inline
 * ones, then attached managed ones). The first start of a control plane creates its admin.
 */
public final class IdentityDirectory {

    /** Kept for callers that name the kinds through the directory. */
    public static final String USER = IamEntities.USER;
    public static final String ACCESS_KEY = IamEntities.ACCESS_KEY;
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
            if (tx.count(IamEntities.USER, null) > 0) {
                return Optional.empty();
            }
            AccessKey key = insertUserWithKey(tx, "admin", Map.of("AdministratorAccess", ADMIN_POLICY));
            return Optional.of(new AdminCredentials(config.accountId(), "admin", key.accessKeyId(),
                    key.secretAccessKey()));
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
        return store.write(tx -> insertUserWithKey(tx, userName, inlinePolicies));
    }

    private AccessKey insertUserWithKey(StoreTransaction tx, String userName, Map<String, String> inlinePolicies) {
        StoredResource user = insertUser(tx, userName, "/");
        ObjectNode document = user.document().deepCopy();
        ObjectNode policies = IamEntities.inlinePolicies(document);
        inlinePolicies.forEach(policies::put);
        user = tx.update(user.withDocument(document));
        String[] key = insertAccessKey(tx, user);
        return new AccessKey(userName, key[0], key[1]);
    }

    /** Inserts a user (the caller has checked that the name is free); returns the stored user. */
    public StoredResource insertUser(StoreTransaction tx, String userName, String path) {
        String userId = IamIds.userId();
        ObjectNode user = IamEntities.newUser(config, userName, path, userId, clock.instant());
        return tx.insert(StoredResource.create(IamEntities.USER, userId, user.get("Arn").asText(),
                config.accountId(), null, IamEntities.nameKey(userName), user));
    }

    /** Adds an active access key to a user; returns its id and secret. */
    public String[] insertAccessKey(StoreTransaction tx, StoredResource user) {
        String accessKeyId = IamIds.accessKeyId();
        String secret = IamIds.secretAccessKey();
        ObjectNode key = IamEntities.newAccessKey(user.document().path("UserName").asText(), accessKeyId, secret,
                clock.instant());
        tx.insert(StoredResource.create(IamEntities.ACCESS_KEY, accessKeyId,
                "arn:" + config.partition() + ":iam::" + config.accountId() + ":access-key/" + accessKeyId,
                config.accountId(), user.id(), null, key));
        return new String[] {accessKeyId, secret};
    }

    /**
     * Looks access keys up in the store: the control plane verifies signatures with the secret. Temporary keys
     * ({@code ASIA}) come with their session token and expiry, so the verifier refuses them once expired.
     */
    public CredentialResolver credentialResolver() {
        return accessKeyId -> store.read(tx -> {
            if (accessKeyId.startsWith("ASIA")) {
                return tx.get(IamEntities.SESSION, accessKeyId).map(this::sessionCredential);
            }
            Optional<StoredResource> key = tx.get(IamEntities.ACCESS_KEY, accessKeyId);
            if (key.isEmpty() || !"Active".equals(key.get().document().path("Status").asText())) {
                return Optional.empty();
            }
            Optional<StoredResource> user = tx.get(IamEntities.USER, key.get().parentId());
            if (user.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(SigningCredential.builder(accessKeyId,
                            IamEntities.userPrincipal(config, user.get().accountId(), user.get().document()))
                    .secretAccessKey(key.get().document().get("SecretAccessKey").asText())
                    .build());
        });
    }

    private SigningCredential sessionCredential(StoredResource session) {
        JsonNode doc = session.document();
        return SigningCredential.builder(session.id(),
                        IamEntities.sessionPrincipal(config, session.accountId(), doc))
                .secretAccessKey(doc.path("SecretAccessKey").asText())
                .sessionToken(doc.path("SessionToken").asText())
                .expiresAt(Instant.parse(doc.path("Expiration").asText()))
                .build();
    }

    /**
     * The identity-based policy documents of a principal, as JSON text: a user's inline policies then its attached
     * managed policies (their default versions); for a role session the same of its role — provided the role still
     * exists with the id the session was issued for (a re-created role of the same name grants old sessions
     * nothing, as in IAM).
     */
    public List<String> identityPolicies(Principal principal) {
        if (principal.type() != Principal.Type.User && principal.type() != Principal.Type.AssumedRole) {
            return List.of();
        }
        return store.read(tx -> identityPolicies(tx, principal));
    }

    /** {@link #identityPolicies(Principal)} inside a transaction. */
    public List<String> identityPolicies(StoreTransaction tx, Principal principal) {
        Optional<StoredResource> entity;
        if (principal.type() == Principal.Type.User) {
            entity = tx.getByArn(principal.arn()).filter(r -> r.kind().equals(IamEntities.USER));
        } else if (principal.type() == Principal.Type.AssumedRole) {
            String roleId = principal.userId().substring(0, Math.max(0, principal.userId().indexOf(':')));
            entity = tx.getByArn(principal.principalArn())
                    .filter(r -> r.kind().equals(IamEntities.ROLE) && r.id().equals(roleId));
        } else {
            return List.of();
        }
        List<String> policies = new ArrayList<>();
        entity.ifPresent(e -> {
            e.document().path(IamEntities.INLINE_POLICIES).forEach(p -> policies.add(p.asText()));
            for (String arn : IamEntities.attachedPolicyArns(e.document())) {
                tx.getByArn(arn).map(p -> IamEntities.defaultVersionDocument(p.document()))
                        .ifPresent(policies::add);
            }
        });
        return policies;
    }
}
