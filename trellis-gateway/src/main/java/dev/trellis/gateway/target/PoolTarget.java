package dev.trellis.gateway.target;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One target of a {@link TargetPool}: its id as registered (an IP address), the port traffic goes to, the
 * resolved socket address, and its {@link TargetHealth}.
 */
public final class PoolTarget {

    private final String id;
    private final int port;
    private final InetSocketAddress address;
    private final TargetHealth health;

    PoolTarget(String id, int port, InetSocketAddress address, TargetHealth health) {
        this.id = Objects.requireNonNull(id, "id");
        this.port = port;
        this.address = Objects.requireNonNull(address, "address");
        this.health = Objects.requireNonNull(health, "health");
    }

    public String id() {
        return id;
    }

    public int port() {
        return port;
    }

    /** Where to connect: an IP literal, never a name to resolve on an event loop. */
    public InetSocketAddress address() {
        return address;
    }

    public TargetHealth health() {
        return health;
    }

    /** {@code 10.0.1.5:3000}, as the access log's {@code targetIpPort} writes it. */
    public String ipPort() {
        return address.getAddress().getHostAddress() + ":" + port;
    }

    @Override
    public String toString() {
        return ipPort() + " " + health;
    }
}
