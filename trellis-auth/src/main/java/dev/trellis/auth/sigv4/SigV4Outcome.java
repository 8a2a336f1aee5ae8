package dev.trellis.auth.sigv4;

import dev.trellis.auth.Principal;

import java.time.Instant;
import java.util.Objects;

/**
 * The result of verifying one request: {@link Authenticated}, {@link Unsigned} or {@link Rejected}.
 *
 * <p>An unsigned request is not an error here: the Lattice data plane treats it as the anonymous principal, the
 * control plane turns it into {@link SigV4Failure#missingAuthentication()}.
 */
public sealed interface SigV4Outcome permits SigV4Outcome.Authenticated, SigV4Outcome.Unsigned,
        SigV4Outcome.Rejected {

    /** Where the signature travelled. */
    enum SignatureLocation {
        AUTHORIZATION_HEADER,
        QUERY_STRING
    }

    /**
     * The signature verified.
     *
     * @param principal   who signed, from the credential
     * @param accessKeyId the access key id that signed (not secret; safe to log)
     * @param algorithm   SigV4 or SigV4A
     * @param location    header or presigned URL
     * @param service     the signing name in the credential scope
     * @param region      the scope region (SigV4) or the region set as sent (SigV4A)
     * @param signedAt    the request time ({@code X-Amz-Date})
     * @param temporary   whether the credential is temporary (a session token was presented)
     */
    record Authenticated(Principal principal, String accessKeyId, SigV4Algorithm algorithm,
                         SignatureLocation location, String service, String region, Instant signedAt,
                         boolean temporary) implements SigV4Outcome {
        public Authenticated {
            Objects.requireNonNull(principal, "principal");
            Objects.requireNonNull(accessKeyId, "accessKeyId");
            Objects.requireNonNull(algorithm, "algorithm");
            Objects.requireNonNull(location, "location");
            Objects.requireNonNull(service, "service");
            Objects.requireNonNull(region, "region");
            Objects.requireNonNull(signedAt, "signedAt");
        }
    }

    /** The request carries no SigV4 signature (no AWS4 {@code Authorization} header, no {@code X-Amz-Algorithm}). */
    final class Unsigned implements SigV4Outcome {
        static final Unsigned INSTANCE = new Unsigned();

        private Unsigned() {
        }

        @Override
        public String toString() {
            return "Unsigned";
        }
    }

    /** The request is signed, but the signature does not authenticate it. */
    record Rejected(SigV4Failure failure) implements SigV4Outcome {
        public Rejected {
            Objects.requireNonNull(failure, "failure");
        }
    }

    /** The unsigned outcome. */
    static SigV4Outcome unsigned() {
        return Unsigned.INSTANCE;
    }
}
