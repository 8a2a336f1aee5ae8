package dev.trellis.gateway.snapshot;

import java.io.IOException;

/** The control plane refused a gateway's call: its HTTP status, AWS error code and message. */
public final class ControlPlaneException extends IOException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String errorCode;

    public ControlPlaneException(int status, String errorCode, String message) {
        super("HTTP " + status + (errorCode == null ? "" : " " + errorCode) + ": " + message);
        this.status = status;
        this.errorCode = errorCode;
    }

    public int status() {
        return status;
    }

    /** The {@code x-amzn-ErrorType} of the answer ({@code ValidationException}, {@code AccessDeniedException}...). */
    public String errorCode() {
        return errorCode;
    }
}
