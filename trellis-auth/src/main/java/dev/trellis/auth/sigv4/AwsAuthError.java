package dev.trellis.auth.sigv4;

import java.util.Objects;

/**
 * An authentication failure as one protocol family reports it: the AWS error code, the HTTP status and the
 * message. Protocol layers render it (JSON {@code __type}/{@code x-amzn-ErrorType}, query/rest-xml
 * {@code <Error><Type>Sender</Type><Code>...}); the Lattice data plane sends {@link #plainTextBody()}.
 */
public record AwsAuthError(String code, int httpStatus, String message) {

    public AwsAuthError {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }

    /** Authentication errors are always the caller's fault ({@code <Type>Sender</Type>} in XML). */
    public String faultType() {
        return "Sender";
    }

    /** {@code <code>: <message>}, the single-line body of a Lattice data-plane denial. */
    public String plainTextBody() {
        return code + ": " + message;
    }
}
