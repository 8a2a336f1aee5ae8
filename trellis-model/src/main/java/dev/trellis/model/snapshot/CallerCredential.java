package dev.trellis.model.snapshot;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a gateway needs to authenticate one access key and authorize its caller, without the secret: derived SigV4
 * signing keys for {@code vpc-lattice-svcs} (one per day around the snapshot's time, region by region), the SigV4A
 * public key, the session token and expiry of temporary credentials, who the caller is, and its identity-based
 * policies.
 *
 * @param principalType the {@code aws:PrincipalType} value ({@code User}, {@code AssumedRole}, ...)
 * @param sessionToken the token temporary credentials must present, or null
 * @param expiresAt when temporary credentials expire, or null
 * @param sigV4aPublicKey the SigV4A public key as {@code 04||X||Y} hex (uncompressed point), or null
 */
public record CallerCredential(
        String accessKeyId,
        String principalType,
        String arn,
        String principalArn,
        String accountId,
        String userId,
        String userName,
        String sessionName,
        Map<String, String> principalTags,
        String sessionToken,
        Instant expiresAt,
        List<DerivedKey> derivedKeys,
        String sigV4aPublicKey,
        List<String> identityPolicies) {

    public CallerCredential {
        Objects.requireNonNull(accessKeyId, "accessKeyId");
        Objects.requireNonNull(principalType, "principalType");
        Objects.requireNonNull(arn, "arn");
        principalTags = principalTags == null ? Map.of() : Map.copyOf(principalTags);
        derivedKeys = derivedKeys == null ? List.of() : List.copyOf(derivedKeys);
        identityPolicies = identityPolicies == null ? List.of() : List.copyOf(identityPolicies);
    }

    /** A SigV4 signing key for one (date, region, service) scope, hex-encoded. */
    public record DerivedKey(String date, String region, String service, String key) {
        @Override
        public String toString() {
            return "DerivedKey[" + date + "/" + region + "/" + service + "]";
        }
    }

    @Override
    public String toString() {
        return "CallerCredential[" + accessKeyId + ", " + arn + (sessionToken == null ? "" : ", temporary") + "]";
    }
}
