package dev.trellis.gateway.dns;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;

/**
 * How a gateway's DNS server listens and answers. Built with {@link #builder(InetAddress, Inet4Address)}; every
 * setting has a default except where to listen and which address the generated names resolve to.
 *
 * @param bindAddress          the VPC-side address the server listens on (UDP and TCP)
 * @param port                 the port (53 by default; 0 picks a free one, the same for UDP and TCP)
 * @param serviceAddress       the IPv4 address generated names resolve to: the gateway's own VPC-side address
 * @param serviceAddressV6     the IPv6 address of AAAA answers for generated names, in {@code fd00:ec2:80::/64}
 *                             (facts §1 "Address ranges"), or null: AAAA queries then get NODATA
 * @param upstream             the resolver everything outside this VPC's zones is forwarded to, or null: REFUSED
 * @param upstreamTimeout      how long a forwarded query may take before the client gets SERVFAIL
 * @param generatedNameTtl     TTL of the answers for generated names (seconds)
 * @param maxUdpResponseBytes  the largest UDP answer sent, whatever a client advertises (EDNS0); also the payload
 *                             size the server advertises in its OPT record
 * @param maxForwardsInFlight  forwarded queries waiting for the upstream, all clients together
 * @param maxForwardsPerClient forwarded queries waiting for the upstream, per client address
 * @param maxUdpQueriesPerClientPerSecond UDP queries per second per client address; more are dropped unanswered
 *                             (Route 53 Resolver's 1024 packets per second per interface by default)
 * @param maxTcpConnections    open TCP connections; more are closed at once
 * @param tcpIdleTimeout       a TCP connection with no query for this long is closed
 */
public record DnsServerConfig(
        InetAddress bindAddress,
        int port,
        Inet4Address serviceAddress,
        Inet6Address serviceAddressV6,
        InetSocketAddress upstream,
        Duration upstreamTimeout,
        long generatedNameTtl,
        int maxUdpResponseBytes,
        int maxForwardsInFlight,
        int maxForwardsPerClient,
        int maxUdpQueriesPerClientPerSecond,
        int maxTcpConnections,
        Duration tcpIdleTimeout) {

    /** The standard DNS port. */
    public static final int DEFAULT_PORT = 53;
    /**
     * TTL of generated names. Lattice's own TTL is not documented (facts §1 says nothing); 60 s keeps clients
     * following a changed gateway address within a minute without querying for every connection.
     */
    public static final long DEFAULT_GENERATED_NAME_TTL = 60;
    /** Long enough for a healthy resolver on the path, short enough that a stub (5 s by default) still sees SERVFAIL. */
    public static final Duration DEFAULT_UPSTREAM_TIMEOUT = Duration.ofSeconds(2);
    /** 1232 bytes: the EDNS0 size that avoids IP fragmentation on common paths (DNS Flag Day 2020). */
    public static final int DEFAULT_MAX_UDP_RESPONSE = 1232;
    /** The first 64 bits of {@code fd00:ec2:80::/64}. */
    private static final byte[] LATTICE_IPV6_PREFIX = {(byte) 0xfd, 0, 0x0e, (byte) 0xc2, 0, (byte) 0x80, 0, 0};

    public DnsServerConfig {
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(serviceAddress, "serviceAddress");
        Objects.requireNonNull(upstreamTimeout, "upstreamTimeout");
        Objects.requireNonNull(tcpIdleTimeout, "tcpIdleTimeout");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("DNS port must be 0-65535, was " + port);
        }
        if (serviceAddressV6 != null && !inLatticeIpv6Range(serviceAddressV6)) {
            throw new IllegalArgumentException("the IPv6 service address must be in fd00:ec2:80::/64 (as VPC Lattice's),"
                    + " was " + serviceAddressV6.getHostAddress());
        }
        if (upstream != null && upstream.isUnresolved()) {
            throw new IllegalArgumentException("the upstream resolver must be an IP address, was " + upstream);
        }
        if (upstreamTimeout.isNegative() || upstreamTimeout.isZero()) {
            throw new IllegalArgumentException("upstreamTimeout must be positive, was " + upstreamTimeout);
        }
        if (generatedNameTtl < 0 || generatedNameTtl > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("generatedNameTtl must be 0-2147483647 seconds, was " + generatedNameTtl);
        }
        if (maxUdpResponseBytes < 512 || maxUdpResponseBytes > 65535) {
            throw new IllegalArgumentException("maxUdpResponseBytes must be 512-65535, was " + maxUdpResponseBytes);
        }
        if (maxForwardsInFlight < 1 || maxForwardsPerClient < 1 || maxTcpConnections < 1
                || maxUdpQueriesPerClientPerSecond < 1) {
            throw new IllegalArgumentException("the forward, query-rate and connection limits must be at least 1");
        }
        if (tcpIdleTimeout.isNegative() || tcpIdleTimeout.isZero()) {
            throw new IllegalArgumentException("tcpIdleTimeout must be positive, was " + tcpIdleTimeout);
        }
    }

    /**
     * A builder with the defaults.
     *
     * @param bindAddress    where to listen
     * @param serviceAddress what generated names resolve to (usually the gateway's listener address)
     */
    public static Builder builder(InetAddress bindAddress, Inet4Address serviceAddress) {
        return new Builder(bindAddress, serviceAddress);
    }

    /**
     * The address Lattice pairs with an IPv4 service address: {@code fd00:ec2:80::} with the IPv4 address in the
     * low 32 bits (facts §1: 169.254.171.65 ↔ fd00:ec2:80::a9fe:ab41).
     */
    public static Inet6Address latticeIpv6Of(Inet4Address v4) {
        byte[] bytes = new byte[16];
        System.arraycopy(LATTICE_IPV6_PREFIX, 0, bytes, 0, LATTICE_IPV6_PREFIX.length);
        System.arraycopy(v4.getAddress(), 0, bytes, 12, 4);
        try {
            return (Inet6Address) InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 16 bytes are always an address
        }
    }

    private static boolean inLatticeIpv6Range(Inet6Address address) {
        byte[] bytes = address.getAddress();
        for (int i = 0; i < LATTICE_IPV6_PREFIX.length; i++) {
            if (bytes[i] != LATTICE_IPV6_PREFIX[i]) {
                return false;
            }
        }
        return true;
    }

    /** Builds a {@link DnsServerConfig}; see the record's parameters. */
    public static final class Builder {
        private final InetAddress bindAddress;
        private final Inet4Address serviceAddress;
        private int port = DEFAULT_PORT;
        private Inet6Address serviceAddressV6;
        private InetSocketAddress upstream;
        private Duration upstreamTimeout = DEFAULT_UPSTREAM_TIMEOUT;
        private long generatedNameTtl = DEFAULT_GENERATED_NAME_TTL;
        private int maxUdpResponseBytes = DEFAULT_MAX_UDP_RESPONSE;
        private int maxForwardsInFlight = 1024;
        private int maxForwardsPerClient = 64;
        private int maxUdpQueriesPerClientPerSecond = 1024;
        private int maxTcpConnections = 256;
        private Duration tcpIdleTimeout = Duration.ofSeconds(10);

        private Builder(InetAddress bindAddress, Inet4Address serviceAddress) {
            this.bindAddress = bindAddress;
            this.serviceAddress = serviceAddress;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder serviceAddressV6(Inet6Address address) {
            this.serviceAddressV6 = address;
            return this;
        }

        public Builder upstream(InetSocketAddress upstream) {
            this.upstream = upstream;
            return this;
        }

        public Builder upstreamTimeout(Duration timeout) {
            this.upstreamTimeout = timeout;
            return this;
        }

        public Builder generatedNameTtl(long seconds) {
            this.generatedNameTtl = seconds;
            return this;
        }

        public Builder maxUdpResponseBytes(int bytes) {
            this.maxUdpResponseBytes = bytes;
            return this;
        }

        public Builder maxForwardsInFlight(int forwards) {
            this.maxForwardsInFlight = forwards;
            return this;
        }

        public Builder maxForwardsPerClient(int forwards) {
            this.maxForwardsPerClient = forwards;
            return this;
        }

        public Builder maxUdpQueriesPerClientPerSecond(int queries) {
            this.maxUdpQueriesPerClientPerSecond = queries;
            return this;
        }

        public Builder maxTcpConnections(int connections) {
            this.maxTcpConnections = connections;
            return this;
        }

        public Builder tcpIdleTimeout(Duration timeout) {
            this.tcpIdleTimeout = timeout;
            return this;
        }

        public DnsServerConfig build() {
            return new DnsServerConfig(bindAddress, port, serviceAddress, serviceAddressV6, upstream, upstreamTimeout,
                    generatedNameTtl, maxUdpResponseBytes, maxForwardsInFlight, maxForwardsPerClient,
                    maxUdpQueriesPerClientPerSecond, maxTcpConnections, tcpIdleTimeout);
        }
    }
}
