package dev.trellis.auth.sigv4;

import java.util.Objects;

/**
 * A rejected signature: the reason, and the message the caller gets (AWS wording where AWS's is known). The
 * message never contains a signature, a secret or a session token.
 */
public record SigV4Failure(SigV4FailureReason reason, String message) {

    static final String SIGNATURE_MISMATCH_MESSAGE = "The request signature we calculated does not match the "
            + "signature you provided. Check your AWS Secret Access Key and signing method. Consult the service "
            + "documentation for details.";
    static final String INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid.";
    static final String EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired";
    static final String MISSING_AUTHENTICATION_MESSAGE = "Request is missing Authentication Token";

    public SigV4Failure {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }

    /** The failure for a request that carries no signature where one is required (control-plane APIs). */
    public static SigV4Failure missingAuthentication() {
        return new SigV4Failure(SigV4FailureReason.MISSING_AUTHENTICATION, MISSING_AUTHENTICATION_MESSAGE);
    }

    public AuthErrorKind kind() {
        return reason.kind();
    }

    /** This failure as the given protocol family reports it. */
    public AwsAuthError toAwsError(AwsProtocolFamily family) {
        AuthErrorKind kind = family.kind(reason);
        return new AwsAuthError(family.errorCode(kind), family.httpStatus(kind), family.message(kind, message));
    }

    static SigV4Failure of(SigV4FailureReason reason, String message) {
        return new SigV4Failure(reason, message);
    }
}
