package dev.trellis.auth.sigv4;

/**
 * The AWS error a failed authentication surfaces as. Each {@link SigV4FailureReason} belongs to one kind; each
 * {@link AwsProtocolFamily} spells the kind with its own error code and HTTP status.
 */
public enum AuthErrorKind {
    /** No signature at all where one is required. */
    MISSING_AUTHENTICATION_TOKEN,
    /** The signature's parts are missing or malformed. */
    INCOMPLETE_SIGNATURE,
    /** The access key id (or its session token) is not known. */
    INVALID_CLIENT_TOKEN,
    /** The temporary credentials have expired. */
    EXPIRED_TOKEN,
    /** The signature is not the one the credential makes for this request (or not for this scope or time). */
    SIGNATURE_DOES_NOT_MATCH,
    /** A presigned URL's validity period is over. */
    REQUEST_EXPIRED
}
