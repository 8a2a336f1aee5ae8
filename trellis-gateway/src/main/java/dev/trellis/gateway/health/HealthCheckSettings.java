package dev.trellis.gateway.health;

import dev.trellis.model.snapshot.TargetGroupEntry;
import java.util.Objects;

/**
 * The health check of one target group, resolved once per snapshot swap: Lattice's defaults for values left at 0
 * (facts §5, "Health checks": interval 30, timeout 5, healthy 5, unhealthy 2, path {@code /}, matcher
 * {@code 200}), the parsed matcher, and the {@link Transport} the probe speaks. Immutable; equal settings keep a
 * running check across swaps, changed ones restart it.
 *
 * <p>Intervals and timeouts stay in the snapshot's unit (seconds); {@link HealthChecker} turns them into time with
 * its configured unit, so tests can run Lattice's settings fast.
 */
public final class HealthCheckSettings {

    /** How a probe talks to a target. One place decides it ({@link #transportOf}). */
    public enum Transport {
        /** HTTP/1.1 in cleartext, one request per connection. */
        HTTP1,
        /** Cleartext HTTP/2 with prior knowledge (h2c), one stream per connection. */
        H2C,
        /** HTTP/1.1 over TLS (ALPN http/1.1), certificate not validated, one request per connection. */
        HTTPS1,
        /** HTTP/2 over TLS (ALPN h2), certificate not validated, one stream per connection. */
        H2_TLS;

        boolean tls() {
            return this == HTTPS1 || this == H2_TLS;
        }

        boolean http2() {
            return this == H2C || this == H2_TLS;
        }
    }

    /** Reason code when the settings cannot be used as given (a matcher or path that does not parse). */
    public static final String INVALID = "HealthCheckInvalidConfiguration";
    /** Reason code when Lattice does not health-check the group's type (LAMBDA, ALB). */
    public static final String NOT_SUPPORTED = "HealthCheckNotSupported";

    /** Thrown by {@link #of} when a group's enabled health check cannot be run; carries the reason code to report. */
    public static final class UnusableException extends Exception {
        private final String reasonCode;

        UnusableException(String reasonCode, String message) {
            super(message);
            this.reasonCode = reasonCode;
        }

        public String reasonCode() {
            return reasonCode;
        }
    }

    private final TargetGroupEntry.HealthCheck source;
    private final String groupType;
    private final Transport transport;
    private final int port;
    private final String path;
    private final int interval;
    private final int timeout;
    private final int healthyThreshold;
    private final int unhealthyThreshold;
    private final StatusMatcher matcher;

    private HealthCheckSettings(TargetGroupEntry group, Transport transport, StatusMatcher matcher) {
        TargetGroupEntry.HealthCheck hc = group.healthCheck();
        this.source = hc;
        this.groupType = group.type();
        this.transport = transport;
        this.port = hc.port();
        this.path = hc.path() == null || hc.path().isEmpty() ? "/" : hc.path();
        this.interval = orDefault(hc.intervalSeconds(), 30);
        this.timeout = orDefault(hc.timeoutSeconds(), 5);
        this.healthyThreshold = orDefault(hc.healthyThreshold(), 5);
        this.unhealthyThreshold = orDefault(hc.unhealthyThreshold(), 2);
        this.matcher = matcher;
    }

    /**
     * The settings of {@code group}'s health check, or null when it has none or it is disabled (its targets are
     * UNAVAILABLE, {@code HealthCheckDisabled}).
     *
     * @throws UnusableException when the check is enabled but cannot be run: {@link #NOT_SUPPORTED} for LAMBDA/ALB
     *     groups, {@link #INVALID} for a bad path, port, protocol version or matcher
     */
    public static HealthCheckSettings of(TargetGroupEntry group) throws UnusableException {
        TargetGroupEntry.HealthCheck hc = group.healthCheck();
        if (hc == null || !hc.enabled()) {
            return null;
        }
        if ("LAMBDA".equals(group.type()) || "ALB".equals(group.type())) {
            throw new UnusableException(NOT_SUPPORTED, "Lattice does not health-check " + group.type()
                    + " target groups");
        }
        if (hc.port() < 0 || hc.port() > 65535) {
            throw new UnusableException(INVALID, "health-check port " + hc.port() + " is not 0-65535");
        }
        String path = hc.path();
        if (path != null && !path.isEmpty() && !validPath(path)) {
            throw new UnusableException(INVALID, "health-check path '" + path + "' must start with / and hold no "
                    + "spaces or control characters");
        }
        StatusMatcher matcher;
        try {
            matcher = StatusMatcher.parse(hc.matcher() == null || hc.matcher().isBlank() ? "200" : hc.matcher());
        } catch (IllegalArgumentException e) {
            throw new UnusableException(INVALID, e.getMessage());
        }
        return new HealthCheckSettings(group, transportOf(hc), matcher);
    }

    /** The one place that picks the probe's transport from the protocol and protocol version. */
    private static Transport transportOf(TargetGroupEntry.HealthCheck hc) throws UnusableException {
        String protocol = hc.protocol() == null ? "HTTP" : hc.protocol();
        String version = hc.protocolVersion() == null ? "HTTP1" : hc.protocolVersion();
        boolean tls = switch (protocol) {
            case "HTTP" -> false;
            case "HTTPS" -> true;
            default -> throw new UnusableException(INVALID, "health-check protocol '" + protocol
                    + "' is not HTTP or HTTPS");
        };
        // GRPC is not a health-check protocol version (facts §5): a gRPC group is checked over HTTP1 or HTTP2.
        return switch (version) {
            case "HTTP1" -> tls ? Transport.HTTPS1 : Transport.HTTP1;
            case "HTTP2" -> tls ? Transport.H2_TLS : Transport.H2C;
            default -> throw new UnusableException(INVALID, "health-check protocol version '" + version
                    + "' is not HTTP1 or HTTP2");
        };
    }

    private static boolean validPath(String path) {
        if (path.charAt(0) != '/') {
            return false;
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static int orDefault(int value, int lattice) {
        // Lattice: "specify 0 to reset this setting to its default".
        return value > 0 ? value : lattice;
    }

    public Transport transport() {
        return transport;
    }

    /** The port to check for a target whose traffic port is {@code targetPort} (0 in the settings: that port). */
    public int portFor(int targetPort) {
        return port == 0 ? targetPort : port;
    }

    /** Path and query of the request, as sent. */
    public String path() {
        return path;
    }

    /** Interval between checks of one target, in the snapshot's unit (seconds). */
    public int interval() {
        return interval;
    }

    /** How long a check may take, connect included, in the snapshot's unit (seconds). */
    public int timeout() {
        return timeout;
    }

    public int healthyThreshold() {
        return healthyThreshold;
    }

    public int unhealthyThreshold() {
        return unhealthyThreshold;
    }

    public StatusMatcher matcher() {
        return matcher;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HealthCheckSettings other && source.equals(other.source)
                && Objects.equals(groupType, other.groupType);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }

    @Override
    public String toString() {
        return transport + " :" + (port == 0 ? "traffic-port" : port) + path + " every " + interval + " timeout "
                + timeout + " healthy " + healthyThreshold + " unhealthy " + unhealthyThreshold + " matcher "
                + matcher;
    }
}
