package dev.trellis.auth.sigv4;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Finds the credential an access key id belongs to.
 *
 * <p>The verifier calls it once per signed request, on the request's thread. Gateway implementations answer from
 * the current in-memory snapshot (no I/O: they run on event-loop threads); control-plane implementations may read
 * the store.
 */
@FunctionalInterface
public interface CredentialResolver {

    /** The credential with this access key id, or empty when the key is unknown (or deleted, or inactive). */
    Optional<SigningCredential> resolve(String accessKeyId);

    /** A resolver over a fixed set of credentials (tests, snapshots). */
    static CredentialResolver of(Collection<SigningCredential> credentials) {
        Map<String, SigningCredential> byKey = credentials.stream()
                .collect(Collectors.toUnmodifiableMap(SigningCredential::accessKeyId, Function.identity()));
        return accessKeyId -> Optional.ofNullable(byKey.get(accessKeyId));
    }

    /** A resolver over the given credentials. */
    static CredentialResolver of(SigningCredential... credentials) {
        return of(java.util.List.of(credentials));
    }
}
