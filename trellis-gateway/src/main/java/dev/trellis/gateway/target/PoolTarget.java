package dev.trellis.gateway.target;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One target of a {@link TargetPool}: its id as registered (an IP address), the port traffic goes to, the
 * resolved socket address, whether it is draining (deregistered), and its {@link TargetHealth}.
 */
public final class PoolTarget {

    /** Reason code of a draining target. */
    public static final String DEREGISTRATION_IN_PROGRESS = "DeregistrationInProgress";

    private final String id;
    private final int port;
    private final InetSocketAddress address;
    private final boolean draining;
    private final TargetHealth health;

    PoolTarget(String id, int port, InetSocketAddress address, boolean draining, TargetHealth health) {
        this.id = Objects.requireNonNull(id, "id");
        this.port = port;
        this.address = Objects.requireNonNull(address, "address");
        this.draining = draining;
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

    /** Deregistered in this snapshot: gets no new requests and is not health-checked. */
    public boolean draining() {
        return draining;
    }

    public TargetHealth health() {
        return health;
    }

    /** What {@code ListTargets} should show: DRAINING while draining, else the health's status. */
    public TargetStatus status() {
        return draining ? TargetStatus.DRAINING : health.status();
    }

    /** The reason code that goes with {@link #status()}, or null. */
    public String reasonCode() {
        return draining ? DEREGISTRATION_IN_PROGRESS : health.reasonCode();
    }

    /** {@code 10.0.1.5:3000}, as the access log's {@code targetIpPort} writes it. */
    public String ipPort() {
        return address.getAddress().getHostAddress() + ":" + port;
    }

    @Override
    public String toString() {
        return ipPort() + " " + (draining ? "DRAINING" : health.toString());
    }
}
