package dev.trellis.gateway;

import dev.trellis.gateway.accesslog.AccessLog;
import dev.trellis.gateway.accesslog.DestinationAccessLog;
import dev.trellis.gateway.fabric.FabricForwarder;
import dev.trellis.gateway.fabric.FabricTls;
import dev.trellis.gateway.health.TargetHealthSink;
import dev.trellis.gateway.metrics.GatewayMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a gateway listens and what it tolerates: the address and port mapping it binds, codec limits, timeouts,
 * the connection cap, and its access log and fabric hooks. Immutable; built with {@link #builder()}.
 *
 * <p>Defaults follow Lattice where Lattice documents a value (facts §1: idle timeout 60 s, connections live at most
 * 10 minutes) and common proxy practice elsewhere; {@code trellis-gateway/DESIGN.md} lists every one.
 */
public final class GatewayConfig {

    /** The VPC-side address Lattice gives services (facts §1): what clients of this VPC connect to. */
    public static final String DEFAULT_BIND_ADDRESS = "169.254.171.1";

    /** The fabric listener's default port (peers learn the real one from the snapshot's {@code FabricPeer}). */
    public static final int DEFAULT_FABRIC_PORT = 7443;

    private final String bindAddress;
    private final Map<Integer, Integer> portMapping;
    private final int portOffset;
    private final int ioThreads;
    private final GatewayTransport transport;
    private final int maxInitialLineLength;
    private final int maxHeaderSize;
    private final long maxRequestBodyBytes;
    private final Duration requestHeadTimeout;
    private final Duration defaultIdleTimeout;
    private final Duration maxConnectionDuration;
    private final int maxConnections;
    private final int maxConcurrentStreams;
    private final Duration targetConnectTimeout;
    private final Duration upstreamIdleTimeout;
    private final int maxIdleConnectionsPerTarget;
    private final int maxUpstreamStreamsPerConnection;
    private final AccessLog accessLog;
    private final FabricForwarder fabric;
    private final FabricTls fabricTls;
    private final String fabricBindAddress;
    private final int fabricPort;
    private final TargetHealthSink targetHealthSink;
    private final Duration healthCheckTimeUnit;
    private final Duration targetHealthReportInterval;
    private final Duration targetHealthFullReportInterval;
    private final GatewayMetrics metrics;

    private GatewayConfig(Builder b) {
        this.bindAddress = b.bindAddress;
        this.portMapping = Map.copyOf(b.portMapping);
        this.portOffset = b.portOffset;
        this.ioThreads = b.ioThreads;
        this.transport = b.transport != null ? b.transport : GatewayTransport.select(System.getProperty(
                GatewayTransport.PROPERTY));
        this.maxInitialLineLength = b.maxInitialLineLength;
        this.maxHeaderSize = b.maxHeaderSize;
        this.maxRequestBodyBytes = b.maxRequestBodyBytes;
        this.requestHeadTimeout = b.requestHeadTimeout;
        this.defaultIdleTimeout = b.defaultIdleTimeout;
        this.maxConnectionDuration = b.maxConnectionDuration;
        this.maxConnections = b.maxConnections;
        this.maxConcurrentStreams = b.maxConcurrentStreams;
        this.targetConnectTimeout = b.targetConnectTimeout;
        this.upstreamIdleTimeout = b.upstreamIdleTimeout;
        this.maxIdleConnectionsPerTarget = b.maxIdleConnectionsPerTarget;
        this.maxUpstreamStreamsPerConnection = b.maxUpstreamStreamsPerConnection;
        this.accessLog = b.accessLog;
        this.fabric = b.fabric;
        this.fabricTls = b.fabricTls;
        this.fabricBindAddress = b.fabricBindAddress;
        this.fabricPort = b.fabricPort;
        this.targetHealthSink = b.targetHealthSink;
        this.healthCheckTimeUnit = b.healthCheckTimeUnit;
        this.targetHealthReportInterval = b.targetHealthReportInterval;
        this.targetHealthFullReportInterval = b.targetHealthFullReportInterval;
        this.metrics = b.metrics;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The address every listener port is bound on. */
    public String bindAddress() {
        return bindAddress;
    }

    /**
     * The local port a listener port is bound on: the mapping's value, else the listener port plus the port offset
     * (so an unprivileged gateway can serve listener port 80 on 8080 with an offset of 8000). 0 binds an ephemeral
     * port ({@link GatewayServer#localPort(int)} tells which).
     */
    public int localPort(int listenerPort) {
        Integer mapped = portMapping.get(listenerPort);
        return mapped != null ? mapped : listenerPort + portOffset;
    }

    /** Event-loop threads; 0 lets Netty choose (twice the cores). */
    public int ioThreads() {
        return ioThreads;
    }

    /**
     * The event loops' I/O transport: as set, else the {@code trellis.transport} system property, else
     * {@code auto}: io_uring where the kernel allows it, else epoll where Netty's native library loads, else NIO.
     */
    public GatewayTransport transport() {
        return transport;
    }

    /** Longest request line accepted; longer is 414. */
    public int maxInitialLineLength() {
        return maxInitialLineLength;
    }

    /** Largest header block accepted; larger is 431. */
    public int maxHeaderSize() {
        return maxHeaderSize;
    }

    /** Largest request body: a larger Content-Length is 413, a longer streamed body is cut. */
    public long maxRequestBodyBytes() {
        return maxRequestBodyBytes;
    }

    /** How long an HTTP/1.1 request head may take to arrive once its first byte has (slowloris); then 408. */
    public Duration requestHeadTimeout() {
        return requestHeadTimeout;
    }

    /** Idle timeout of a connection before its first request names a service (whose idle timeout then rules). */
    public Duration defaultIdleTimeout() {
        return defaultIdleTimeout;
    }

    /** A client connection is drained after this long: no new requests (HTTP/2: GOAWAY), then closed. */
    public Duration maxConnectionDuration() {
        return maxConnectionDuration;
    }

    /** Client connections open at once, all ports together; more are closed on accept. */
    public int maxConnections() {
        return maxConnections;
    }

    /** HTTP/2 {@code SETTINGS_MAX_CONCURRENT_STREAMS}. */
    public int maxConcurrentStreams() {
        return maxConcurrentStreams;
    }

    /** Connecting to a target longer than this is a 502. */
    public Duration targetConnectTimeout() {
        return targetConnectTimeout;
    }

    /** An idle pooled connection to a target is closed after this long. */
    public Duration upstreamIdleTimeout() {
        return upstreamIdleTimeout;
    }

    /** Idle connections kept per (event loop, target). */
    public int maxIdleConnectionsPerTarget() {
        return maxIdleConnectionsPerTarget;
    }

    /**
     * Streams one HTTP/2 connection to a target carries at once (fewer when the target's
     * {@code SETTINGS_MAX_CONCURRENT_STREAMS} says so); more open another connection. Default 100.
     */
    public int maxUpstreamStreamsPerConnection() {
        return maxUpstreamStreamsPerConnection;
    }

    public AccessLog accessLog() {
        return accessLog;
    }

    /** Where requests for target groups in other VPCs go. */
    public FabricForwarder fabric() {
        return fabric;
    }

    /** This gateway's fabric TLS material; null: no fabric listener (peers cannot reach this VPC's targets). */
    public FabricTls fabricTls() {
        return fabricTls;
    }

    /** The address the fabric listener binds (the gateway's address on the network between gateways). */
    public String fabricBindAddress() {
        return fabricBindAddress;
    }

    /** The fabric listener's port; 0 binds any free port ({@link GatewayServer#fabricPort()} tells which). */
    public int fabricPort() {
        return fabricPort;
    }

    /** Where target health goes (the control plane); by default nowhere. */
    public TargetHealthSink targetHealthSink() {
        return targetHealthSink;
    }

    /** How long one "second" of a snapshot's health-check interval and timeout is: 1 s, shorter in tests. */
    public Duration healthCheckTimeUnit() {
        return healthCheckTimeUnit;
    }

    /** How often changed target health goes to the sink (batched). */
    public Duration targetHealthReportInterval() {
        return targetHealthReportInterval;
    }

    /** How often the health of every target goes to the sink, changed or not. */
    public Duration targetHealthFullReportInterval() {
        return targetHealthFullReportInterval;
    }

    /** Where requests are counted and timed; {@link GatewayMetrics#disabled()} unless set. */
    public GatewayMetrics metrics() {
        return metrics;
    }

    @Override
    public String toString() {
        return "GatewayConfig[" + bindAddress + ", ports " + portMapping + ", max body " + maxRequestBodyBytes
                + ", max connections " + maxConnections + "]";
    }

    /** Collects a {@link GatewayConfig}; every setting has a default. */
    public static final class Builder {
        private String bindAddress = DEFAULT_BIND_ADDRESS;
        private final Map<Integer, Integer> portMapping = new HashMap<>();
        private int portOffset;
        private int ioThreads;
        private GatewayTransport transport;
        private int maxInitialLineLength = 8 * 1024;
        private int maxHeaderSize = 16 * 1024;
        private long maxRequestBodyBytes = 10L * 1024 * 1024;
        private Duration requestHeadTimeout = Duration.ofSeconds(10);
        private Duration defaultIdleTimeout = Duration.ofSeconds(60);
        private Duration maxConnectionDuration = Duration.ofMinutes(10);
        private int maxConnections = 10_000;
        private int maxConcurrentStreams = 128;
        private Duration targetConnectTimeout = Duration.ofSeconds(5);
        private Duration upstreamIdleTimeout = Duration.ofSeconds(30);
        private int maxIdleConnectionsPerTarget = 128;
        private int maxUpstreamStreamsPerConnection = 100;
        private AccessLog accessLog = AccessLog.NONE;
        private FabricForwarder fabric = FabricForwarder.unavailable();
        private FabricTls fabricTls;
        private String fabricBindAddress = "0.0.0.0";
        private int fabricPort = DEFAULT_FABRIC_PORT;
        private TargetHealthSink targetHealthSink = TargetHealthSink.NONE;
        private Duration healthCheckTimeUnit = Duration.ofSeconds(1);
        private Duration targetHealthReportInterval = Duration.ofSeconds(1);
        private Duration targetHealthFullReportInterval = Duration.ofSeconds(60);
        private GatewayMetrics metrics = GatewayMetrics.disabled();

        private Builder() {
        }

        public Builder bindAddress(String bindAddress) {
            this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
            return this;
        }

        /** Binds listener port {@code listenerPort} on local port {@code localPort} (0: any free port). */
        public Builder mapPort(int listenerPort, int localPort) {
            if (listenerPort < 1 || listenerPort > 65535 || localPort < 0 || localPort > 65535) {
                throw new IllegalArgumentException("ports must be 1-65535 (local: 0-65535), not "
                        + listenerPort + " -> " + localPort);
            }
            portMapping.put(listenerPort, localPort);
            return this;
        }

        /**
         * Binds every unmapped listener port {@code offset} higher (listener port 80 on 8080 with 8000). The sum
         * must stay a valid port; a listener port pushed beyond 65535 is not bound (logged).
         */
        public Builder portOffset(int offset) {
            if (offset < 0 || offset > 64511) {
                throw new IllegalArgumentException("the port offset must be 0-64511, not " + offset);
            }
            this.portOffset = offset;
            return this;
        }

        public Builder ioThreads(int ioThreads) {
            this.ioThreads = requireNonNegative(ioThreads, "ioThreads");
            return this;
        }

        /** {@code nio}, {@code epoll}, {@code io_uring} or {@code auto}; a native one that cannot load is an error. */
        public Builder transport(String mode) {
            this.transport = GatewayTransport.select(mode);
            return this;
        }

        public Builder maxInitialLineLength(int bytes) {
            this.maxInitialLineLength = requirePositive(bytes, "maxInitialLineLength");
            return this;
        }

        public Builder maxHeaderSize(int bytes) {
            this.maxHeaderSize = requirePositive(bytes, "maxHeaderSize");
            return this;
        }

        public Builder maxRequestBodyBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("maxRequestBodyBytes must not be negative");
            }
            this.maxRequestBodyBytes = bytes;
            return this;
        }

        public Builder requestHeadTimeout(Duration timeout) {
            this.requestHeadTimeout = requirePositive(timeout, "requestHeadTimeout");
            return this;
        }

        public Builder defaultIdleTimeout(Duration timeout) {
            this.defaultIdleTimeout = requirePositive(timeout, "defaultIdleTimeout");
            return this;
        }

        public Builder maxConnectionDuration(Duration duration) {
            this.maxConnectionDuration = requirePositive(duration, "maxConnectionDuration");
            return this;
        }

        public Builder maxConnections(int connections) {
            this.maxConnections = requirePositive(connections, "maxConnections");
            return this;
        }

        public Builder maxConcurrentStreams(int streams) {
            this.maxConcurrentStreams = requirePositive(streams, "maxConcurrentStreams");
            return this;
        }

        public Builder targetConnectTimeout(Duration timeout) {
            this.targetConnectTimeout = requirePositive(timeout, "targetConnectTimeout");
            return this;
        }

        public Builder upstreamIdleTimeout(Duration timeout) {
            this.upstreamIdleTimeout = requirePositive(timeout, "upstreamIdleTimeout");
            return this;
        }

        public Builder maxIdleConnectionsPerTarget(int connections) {
            this.maxIdleConnectionsPerTarget = requireNonNegative(connections, "maxIdleConnectionsPerTarget");
            return this;
        }

        public Builder maxUpstreamStreamsPerConnection(int streams) {
            if (streams < 1) {
                throw new IllegalArgumentException("maxUpstreamStreamsPerConnection must be at least 1, got "
                        + streams);
            }
            this.maxUpstreamStreamsPerConnection = streams;
            return this;
        }

        public Builder accessLog(AccessLog accessLog) {
            this.accessLog = Objects.requireNonNull(accessLog, "accessLog");
            return this;
        }

        /**
         * Writes access logs where the services' and networks' access-log subscriptions point, one file per
         * destination under {@code directory} ({@link DestinationAccessLog} documents the mapping). Replaces
         * {@link #accessLog}.
         */
        public Builder accessLogDirectory(Path directory) {
            this.accessLog = new DestinationAccessLog(Objects.requireNonNull(directory, "accessLogDirectory"));
            return this;
        }

        public Builder metrics(GatewayMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        public Builder fabric(FabricForwarder fabric) {
            this.fabric = Objects.requireNonNull(fabric, "fabric");
            return this;
        }

        /** Serves peers on the fabric listener with this material (renew it with {@link FabricTls#update}). */
        public Builder fabricTls(FabricTls tls) {
            this.fabricTls = Objects.requireNonNull(tls, "fabricTls");
            return this;
        }

        /** Binds the fabric listener on {@code address}:{@code port} (default 0.0.0.0:7443; port 0: any). */
        public Builder fabricListener(String address, int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("fabric port must be 0-65535, not " + port);
            }
            this.fabricBindAddress = Objects.requireNonNull(address, "fabric bind address");
            this.fabricPort = port;
            return this;
        }

        public Builder targetHealthSink(TargetHealthSink sink) {
            this.targetHealthSink = Objects.requireNonNull(sink, "targetHealthSink");
            return this;
        }

        /** For tests: run the snapshot's health-check seconds as this long each (intervals and timeouts). */
        public Builder healthCheckTimeUnit(Duration unit) {
            this.healthCheckTimeUnit = requirePositive(unit, "healthCheckTimeUnit");
            return this;
        }

        public Builder targetHealthReportInterval(Duration interval) {
            this.targetHealthReportInterval = requirePositive(interval, "targetHealthReportInterval");
            return this;
        }

        public Builder targetHealthFullReportInterval(Duration interval) {
            this.targetHealthFullReportInterval = requirePositive(interval, "targetHealthFullReportInterval");
            return this;
        }

        public GatewayConfig build() {
            return new GatewayConfig(this);
        }

        private static int requirePositive(int value, String what) {
            if (value <= 0) {
                throw new IllegalArgumentException(what + " must be positive, not " + value);
            }
            return value;
        }

        private static int requireNonNegative(int value, String what) {
            if (value < 0) {
                throw new IllegalArgumentException(what + " must not be negative, not " + value);
            }
            return value;
        }

        private static Duration requirePositive(Duration value, String what) {
            Objects.requireNonNull(value, what);
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException(what + " must be positive, not " + value);
            }
            return value;
        }
    }
}
