package dev.trellis.auth.sigv4;

/** Why a request's signature was rejected. The table in {@code docs/sigv4.md} lists each with its AWS errors. */
public enum SigV4FailureReason {
    /** Neither an {@code Authorization} header nor presigned query parameters (only where signing is required). */
    MISSING_AUTHENTICATION(AuthErrorKind.MISSING_AUTHENTICATION_TOKEN),
    /** Both an {@code Authorization} header and {@code X-Amz-Algorithm} in the query. */
    AMBIGUOUS_AUTHENTICATION(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** An {@code AWS4-*} algorithm other than the two supported ones. */
    UNSUPPORTED_ALGORITHM(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** Missing {@code Credential}, {@code SignedHeaders} or {@code Signature}; parts not {@code key=value}. */
    MALFORMED_AUTHORIZATION(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** No {@code X-Amz-Date} (header or query) and no usable {@code Date} header. */
    MISSING_DATE(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** {@code X-Amz-Date} is not {@code yyyyMMdd'T'HHmmss'Z'}. */
    MALFORMED_DATE(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** The credential is not {@code <key>/<date>/<region>/<service>/aws4_request} (SigV4A: without region). */
    MALFORMED_CREDENTIAL(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** {@code X-Amz-Expires} is missing, not a number, or outside 1..604800. */
    INVALID_EXPIRES(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** {@code host} is not among the signed headers. */
    HOST_NOT_SIGNED(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** A signed header is absent from the request. */
    SIGNED_HEADER_MISSING(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** The verifier requires {@code x-amz-content-sha256} to be signed (the Lattice data plane) and it is not. */
    CONTENT_SHA256_NOT_SIGNED(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** A SigV4A request without {@code X-Amz-Region-Set}. */
    MISSING_REGION_SET(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** A SigV4A header-signed request whose {@code x-amz-region-set} header is not signed. */
    REGION_SET_NOT_SIGNED(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** The body was not read, yet the signature covers a body hash (or a streaming payload). */
    PAYLOAD_SIGNING_UNSUPPORTED(AuthErrorKind.INCOMPLETE_SIGNATURE),
    /** The credential scope does not end with {@code aws4_request}. */
    CREDENTIAL_SCOPE_TERMINATOR(AuthErrorKind.SIGNATURE_DOES_NOT_MATCH),
    /** The credential scope date is not the date of {@code X-Amz-Date}. */
    CREDENTIAL_SCOPE_DATE_MISMATCH(AuthErrorKind.SIGNATURE_DOES_NOT_MATCH),
    /** The credential scope names another region than the verifier's. */
    WRONG_REGION(AuthErrorKind.SIGNATURE_DOES_NOT_MATCH),
    /** The credential scope names a service this verifier does not serve. */
    WRONG_SERVICE(AuthErrorKind.SIGNATURE_DOES_NOT_MATCH),
    /** The SigV4A region set does not cover the verifier's region. */
    REGION_SET_EXCLUDES_REGION(AuthErrorKind.SIGNATURE_DOES_NOT_MATCH),
    /** The request time is more than the allowed skew (5 minutes) away from the verifier's clock. */
    REQUEST_TIME_SKEWED(AuthErrorKind.SIGNATURE_DOES_NOT_MATCH),
    /** The presigned URL's {@code X-Amz-Date + X-Amz-Expires} has passed. */
    PRESIGNED_URL_EXPIRED(AuthErrorKind.REQUEST_EXPIRED),
    /** No credential has this access key id. */
    UNKNOWN_ACCESS_KEY(AuthErrorKind.INVALID_CLIENT_TOKEN),
    /** The session token is missing, unexpected, or not the credential's. */
    INVALID_SESSION_TOKEN(AuthErrorKind.INVALID_CLIENT_TOKEN),
    /** The temporary credentials have expired. */
    EXPIRED_CREDENTIALS(AuthErrorKind.EXPIRED_TOKEN),
    /** The credential holds no key for this scope (a gateway without the derived key or SigV4A public key). */
    SIGNING_KEY_UNAVAILABLE(AuthErrorKind.SIGNATURE_DOES_NOT_MATCH),
    /** {@code x-amz-content-sha256} is not the SHA-256 of the body received. */
    PAYLOAD_HASH_MISMATCH(AuthErrorKind.SIGNATURE_DOES_NOT_MATCH),
    /** The signature does not verify. */
    SIGNATURE_MISMATCH(AuthErrorKind.SIGNATURE_DOES_NOT_MATCH);

    private final AuthErrorKind kind;

    SigV4FailureReason(AuthErrorKind kind) {
        this.kind = kind;
    }

    public AuthErrorKind kind() {
        return kind;
    }
}
