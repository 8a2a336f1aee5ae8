package dev.trellis.gateway.health;

/**
 * The outcome of one health check.
 *
 * @param passed whether the target answered with a status the matcher accepts
 * @param reasonCode why it failed ({@link #FAILED}, {@link #TIMEOUT}, {@link #CODE_MISMATCH}); null when passed
 * @param detail for logs: the status received, or the error
 */
public record ProbeResult(boolean passed, String reasonCode, String detail) {

    /** The connection failed (refused, reset, closed early) or the answer was not HTTP. */
    public static final String FAILED = "HealthCheckFailed";
    /** No answer within the timeout (connecting included). */
    public static final String TIMEOUT = "HealthCheckTimeout";
    /** An answer whose status the matcher does not accept. */
    public static final String CODE_MISMATCH = "HealthCheckResponseCodeMismatch";

    static ProbeResult pass(int status) {
        return new ProbeResult(true, null, "answered " + status);
    }

    static ProbeResult fail(String reasonCode, String detail) {
        return new ProbeResult(false, reasonCode, detail);
    }
}
