package dev.trellis.auth.sigv4;

import dev.trellis.auth.Principal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the verifier knows about one access key: whose it is, its session token and expiry (for temporary
 * credentials), and the material that checks signatures made with it.
 *
 * <p>The material is either the secret access key (the control plane: any date, region and service can be
 * verified; SigV4A public keys are derived from it) or derived material only (gateways): SigV4 signing keys for
 * given (date, region, service) scopes and the SigV4A public key. A credential may carry both derived keys and a
 * secret; derived keys are then preferred.
 *
 * <p>{@link #toString()} never shows the secret, the derived keys or the session token.
 */
public final class SigningCredential {

    private final String accessKeyId;
    private final Principal principal;
    private final String sessionToken;
    private final Instant expiresAt;
    private final String secretAccessKey;
    private final byte[] secretFingerprint;
    private final Map<String, DerivedSigningKey> derivedKeys;
    /** The same keys as an array: the verifier scans it (a handful of entries) without allocating. */
    private final DerivedSigningKey[] derivedKeyArray;
    private final ECPublicKey sigV4aPublicKey;

    private SigningCredential(Builder b) {
        this.accessKeyId = b.accessKeyId;
        this.principal = b.principal;
        this.sessionToken = b.sessionToken;
        this.expiresAt = b.expiresAt;
        this.secretAccessKey = b.secretAccessKey;
        this.secretFingerprint = b.secretAccessKey == null ? null : fingerprint(b.secretAccessKey);
        this.derivedKeys = Map.copyOf(b.derivedKeys);
        this.derivedKeyArray = derivedKeys.values().toArray(new DerivedSigningKey[0]);
        this.sigV4aPublicKey = b.sigV4aPublicKey;
    }

    /** Starts a credential for this access key id, owned by this principal. */
    public static Builder builder(String accessKeyId, Principal principal) {
        return new Builder(accessKeyId, principal);
    }

    public String accessKeyId() {
        return accessKeyId;
    }

    public Principal principal() {
        return principal;
    }

    /** The session token a request must carry (temporary credentials), or empty for long-term keys. */
    public Optional<String> sessionToken() {
        return Optional.ofNullable(sessionToken);
    }

    /** When the credential stops being valid (temporary credentials), or empty. */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    /** Whether the secret access key is known (the verifier can then derive any key it needs). */
    public boolean hasSecret() {
        return secretAccessKey != null;
    }

    /** The derived SigV4 keys this credential carries. */
    public Map<String, DerivedSigningKey> derivedKeys() {
        return derivedKeys;
    }

    /** The SigV4A public key, when given explicitly. */
    public Optional<ECPublicKey> sigV4aPublicKey() {
        return Optional.ofNullable(sigV4aPublicKey);
    }

    String sessionTokenOrNull() {
        return sessionToken;
    }

    Instant expiresAtOrNull() {
        return expiresAt;
    }

    String secretAccessKeyOrNull() {
        return secretAccessKey;
    }

    /** SHA-256 of the secret: lets caches tell two credentials with the same access key id apart. */
    byte[] secretFingerprintOrNull() {
        return secretFingerprint;
    }

    DerivedSigningKey derivedKey(String date, String region, String service) {
        for (DerivedSigningKey key : derivedKeyArray) {
            if (key.date().equals(date) && key.region().equals(region) && key.service().equals(service)) {
                return key;
            }
        }
        return null;
    }

    ECPublicKey sigV4aPublicKeyOrNull() {
        return sigV4aPublicKey;
    }

    static String scopeKey(String date, String region, String service) {
        return date + "/" + region + "/" + service;
    }

    private static byte[] fingerprint(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SigningCredential[")
                .append(accessKeyId).append(", ").append(principal);
        if (sessionToken != null) {
            sb.append(", temporary");
        }
        if (expiresAt != null) {
            sb.append(", expires ").append(expiresAt);
        }
        sb.append(", material=");
        if (secretAccessKey != null) {
            sb.append("secret");
        }
        if (!derivedKeys.isEmpty()) {
            sb.append(secretAccessKey != null ? "+" : "").append(derivedKeys.size()).append(" derived keys");
        }
        if (sigV4aPublicKey != null) {
            sb.append(secretAccessKey != null || !derivedKeys.isEmpty() ? "+" : "").append("SigV4A public key");
        }
        return sb.append(']').toString();
    }

    /** Collects a {@link SigningCredential}. At least one kind of key material is required. */
    public static final class Builder {
        private final String accessKeyId;
        private final Principal principal;
        private String sessionToken;
        private Instant expiresAt;
        private String secretAccessKey;
        private final Map<String, DerivedSigningKey> derivedKeys = new HashMap<>();
        private ECPublicKey sigV4aPublicKey;

        private Builder(String accessKeyId, Principal principal) {
            this.accessKeyId = DerivedSigningKey.requireNonEmpty(accessKeyId, "accessKeyId");
            this.principal = Objects.requireNonNull(principal, "principal");
        }

        /** The secret access key (control plane). */
        public Builder secretAccessKey(String secretAccessKey) {
            this.secretAccessKey = DerivedSigningKey.requireNonEmpty(secretAccessKey, "secretAccessKey");
            return this;
        }

        /** Adds a derived SigV4 key; its scope (date, region, service) is the lookup key. */
        public Builder derivedKey(DerivedSigningKey key) {
            Objects.requireNonNull(key, "key");
            derivedKeys.put(scopeKey(key.date(), key.region(), key.service()), key);
            return this;
        }

        /** The SigV4A public key ({@link SigV4KeyDerivation#deriveSigV4aPublicKey}). */
        public Builder sigV4aPublicKey(ECPublicKey publicKey) {
            this.sigV4aPublicKey = Objects.requireNonNull(publicKey, "publicKey");
            return this;
        }

        /** The session token of temporary credentials: signed requests must carry exactly this token. */
        public Builder sessionToken(String sessionToken) {
            this.sessionToken = DerivedSigningKey.requireNonEmpty(sessionToken, "sessionToken");
            return this;
        }

        /** When temporary credentials expire: later requests are rejected as ExpiredToken. */
        public Builder expiresAt(Instant expiresAt) {
            this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
            return this;
        }

        public SigningCredential build() {
            if (secretAccessKey == null && derivedKeys.isEmpty() && sigV4aPublicKey == null) {
                throw new IllegalStateException(
                        "credential " + accessKeyId + " needs a secret, derived keys or a SigV4A public key");
            }
            return new SigningCredential(this);
        }
    }
}
