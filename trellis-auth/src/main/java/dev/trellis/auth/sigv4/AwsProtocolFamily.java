package dev.trellis.auth.sigv4;

import java.util.Optional;

/**
 * How a calling protocol spells authentication errors. The AWS JSON protocols share codes but not statuses
 * (rest-json services answer 403, JSON 1.1 services 400); query and rest-xml services use the short codes. EC2 has
 * its own vocabulary: it answers every credential it cannot validate (unknown key, wrong signature) with
 * {@code AuthFailure} 401 and one fixed message, and every request that is too old or too new (skewed clock,
 * expired presigned URL, expired temporary credentials) with {@code RequestExpired} 400.
 */
public enum AwsProtocolFamily {
    /** rest-json, e.g. {@code vpc-lattice}. */
    REST_JSON,
    /** awsJson1_1 (and 1_0), e.g. {@code acm}. */
    JSON_1_1,
    /** awsQuery, e.g. {@code iam}, {@code sts}. */
    QUERY,
    /** rest-xml, e.g. {@code route53}. */
    REST_XML,
    /** The EC2 query protocol, {@code ec2}: XML errors under {@code <Response><Errors>}. */
    EC2,
    /** The Lattice data plane, {@code vpc-lattice-svcs}: always 403 with a plain-text body. */
    LATTICE_DATA_PLANE;

    /** EC2's message for credentials it cannot validate, whatever the reason (docs/sigv4.md). */
    static final String EC2_AUTH_FAILURE_MESSAGE = "AWS was not able to validate the provided access credentials";
    static final String EC2_REQUEST_EXPIRED_MESSAGE = "Request has expired.";
    static final String EC2_MISSING_AUTHENTICATION_MESSAGE = "The request must contain the parameter AWSAccessKeyId";

    /** The family of the Trellis-served APIs, by SigV4 signing name. */
    public static Optional<AwsProtocolFamily> forSigningName(String signingName) {
        return Optional.ofNullable(switch (signingName) {
            case "vpc-lattice", "trellis" -> REST_JSON;
            case "acm" -> JSON_1_1;
            case "iam", "sts" -> QUERY;
            case "route53" -> REST_XML;
            case "ec2" -> EC2;
            case "vpc-lattice-svcs" -> LATTICE_DATA_PLANE;
            default -> null;
        });
    }

    /**
     * The kind of error a rejection reason surfaces as in this family: the reason's own kind, except that EC2
     * reports a skewed request clock as an expired request, not as a signature mismatch.
     */
    public AuthErrorKind kind(SigV4FailureReason reason) {
        if (this == EC2 && reason == SigV4FailureReason.REQUEST_TIME_SKEWED) {
            return AuthErrorKind.REQUEST_EXPIRED;
        }
        return reason.kind();
    }

    /** The error code this family uses for a kind of failure. */
    public String errorCode(AuthErrorKind kind) {
        if (this == EC2) {
            return switch (kind) {
                case MISSING_AUTHENTICATION_TOKEN -> "MissingParameter";
                case INCOMPLETE_SIGNATURE -> "IncompleteSignature";
                case INVALID_CLIENT_TOKEN, SIGNATURE_DOES_NOT_MATCH -> "AuthFailure";
                case EXPIRED_TOKEN, REQUEST_EXPIRED -> "RequestExpired";
            };
        }
        boolean json = this == REST_JSON || this == JSON_1_1 || this == LATTICE_DATA_PLANE;
        return switch (kind) {
            case MISSING_AUTHENTICATION_TOKEN -> json ? "MissingAuthenticationTokenException"
                    : "MissingAuthenticationToken";
            case INCOMPLETE_SIGNATURE -> json ? "IncompleteSignatureException" : "IncompleteSignature";
            case INVALID_CLIENT_TOKEN -> json ? "UnrecognizedClientException" : "InvalidClientTokenId";
            case EXPIRED_TOKEN -> json ? "ExpiredTokenException" : "ExpiredToken";
            case SIGNATURE_DOES_NOT_MATCH -> json ? "InvalidSignatureException" : "SignatureDoesNotMatch";
            case REQUEST_EXPIRED -> json ? "InvalidSignatureException" : "RequestExpired";
        };
    }

    /** The HTTP status this family uses for a kind of failure. */
    public int httpStatus(AuthErrorKind kind) {
        return switch (this) {
            case REST_JSON, LATTICE_DATA_PLANE -> 403;
            case JSON_1_1 -> 400;
            case QUERY, REST_XML -> switch (kind) {
                case INCOMPLETE_SIGNATURE, REQUEST_EXPIRED -> 400;
                default -> 403;
            };
            case EC2 -> switch (kind) {
                case INVALID_CLIENT_TOKEN, SIGNATURE_DOES_NOT_MATCH -> 401;
                default -> 400;
            };
        };
    }

    /**
     * The message this family sends for a kind of failure: the verifier's own message, except where the family
     * always sends one fixed text (EC2 does not say which part of a credential it could not validate).
     */
    public String message(AuthErrorKind kind, String verifierMessage) {
        if (this != EC2) {
            return verifierMessage;
        }
        return switch (kind) {
            case MISSING_AUTHENTICATION_TOKEN -> EC2_MISSING_AUTHENTICATION_MESSAGE;
            case INVALID_CLIENT_TOKEN, SIGNATURE_DOES_NOT_MATCH -> EC2_AUTH_FAILURE_MESSAGE;
            case EXPIRED_TOKEN, REQUEST_EXPIRED -> EC2_REQUEST_EXPIRED_MESSAGE;
            case INCOMPLETE_SIGNATURE -> verifierMessage;
        };
    }
}
