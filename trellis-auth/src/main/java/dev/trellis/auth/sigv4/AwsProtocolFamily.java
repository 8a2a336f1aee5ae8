package dev.trellis.auth.sigv4;

import java.util.Optional;

/**
 * How a calling protocol spells authentication errors. The AWS JSON protocols share codes but not statuses
 * (rest-json services answer 403, JSON 1.1 services 400); query and rest-xml services use the short codes.
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
    /** The Lattice data plane, {@code vpc-lattice-svcs}: always 403 with a plain-text body. */
    LATTICE_DATA_PLANE;

    /** The family of the Trellis-served APIs, by SigV4 signing name. */
    public static Optional<AwsProtocolFamily> forSigningName(String signingName) {
        return Optional.ofNullable(switch (signingName) {
            case "vpc-lattice", "trellis" -> REST_JSON;
            case "acm" -> JSON_1_1;
            case "iam", "sts" -> QUERY;
            case "route53" -> REST_XML;
            case "vpc-lattice-svcs" -> LATTICE_DATA_PLANE;
            default -> null;
        });
    }

    /** The error code this family uses for a kind of failure. */
    public String errorCode(AuthErrorKind kind) {
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
        };
    }
}
