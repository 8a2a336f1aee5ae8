package dev.trellis.gateway.fabric;

import dev.trellis.model.snapshot.FabricPeer;
import io.netty.channel.EventLoop;
import io.netty.util.NetUtil;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The first hop's fabric: forwards requests for target groups in other VPCs to the gateways serving them, over one
 * multiplexed HTTP/2-over-mutual-TLS connection per peer <em>per event loop</em>.
 *
 * <p>Why per event loop: an exchange, its client connection and its fabric stream then share one thread, exactly as
 * local requests share theirs with their pooled target connection; no frame or callback crosses threads, and no lock
 * is taken. A gateway with N event loops thus holds at most N connections to a peer (N is small: the core count), each
 * carrying any number of concurrent streams.
 *
 * <p>Connections are opened on demand, replaced on demand after a failure or GOAWAY, and closed after
 * {@link #idleTimeout()} without streams. Pass it with {@code GatewayConfig.builder().fabric(...)}.
 */
public final class FabricClient implements FabricForwarder {

    private final FabricTls tls;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    /** Per event loop; each inner map is touched only by its loop. */
    private final ConcurrentMap<EventLoop, Map<FabricPeer, FabricConnection>> connections = new ConcurrentHashMap<>();
    private final AtomicLong connected = new AtomicLong();

    /** A client with a 5-second connect timeout and a 5-minute idle timeout. */
    public FabricClient(FabricTls tls) {
        this(tls, Duration.ofSeconds(5), Duration.ofMinutes(5));
    }

    public FabricClient(FabricTls tls, Duration connectTimeout, Duration idleTimeout) {
        this.tls = Objects.requireNonNull(tls, "tls");
        this.connectTimeout = requirePositive(connectTimeout, "connectTimeout");
        this.idleTimeout = requirePositive(idleTimeout, "idleTimeout");
    }

    @Override
    public void forwardToRemoteTargetGroup(RemoteForward forward) {
        FabricPeer peer = forward.peer();
        if (peer == null) {
            forward.fail(502, "FabricPeerUnknown", "Bad Gateway: no gateway serves "
                    + forward.targetGroup().vpcId() + ", where target group " + forward.targetGroup().id()
                    + " lives");
            return;
        }
        if (!NetUtil.isValidIpV4Address(peer.host()) && !NetUtil.isValidIpV6Address(peer.host())) {
            // Resolving a name would block the event loop; the control plane publishes peers by address.
            forward.fail(502, "FabricPeerUnknown", "Bad Gateway: the gateway of " + peer.vpcId()
                    + " is published as '" + peer.host() + "', which is not an IP address");
            return;
        }
        connectionTo(forward.eventLoop(), peer).forward(forward);
    }

    /**
     * Opens a TCP tunnel (TLS passthrough) on a stream of the same per-loop connection requests use: the peer
     * splices the stream to a target of the group ({@link FabricTunnelServerStream}).
     */
    @Override
    public void openTunnel(TunnelRequest tunnel) {
        FabricPeer peer = tunnel.peer();
        if (peer == null) {
            tunnel.onTunnelFailed("FabricPeerUnknown", "no gateway serves " + tunnel.targetGroup().vpcId()
                    + ", where target group " + tunnel.targetGroup().id() + " lives");
            return;
        }
        if (!NetUtil.isValidIpV4Address(peer.host()) && !NetUtil.isValidIpV6Address(peer.host())) {
            tunnel.onTunnelFailed("FabricPeerUnknown", "the gateway of " + peer.vpcId() + " is published as '"
                    + peer.host() + "', which is not an IP address");
            return;
        }
        connectionTo(tunnel.eventLoop(), peer).tunnel(tunnel);
    }

    /** This loop's usable connection to {@code peer}, opened now if there is none. */
    private FabricConnection connectionTo(EventLoop loop, FabricPeer peer) {
        Map<FabricPeer, FabricConnection> ofLoop = connections.computeIfAbsent(loop, l -> new HashMap<>());
        FabricConnection connection = ofLoop.get(peer);
        if (connection == null || !connection.usable()) {
            connection = new FabricConnection(this, loop, peer);
            ofLoop.put(peer, connection);
            connection.connect();
        }
        return connection;
    }

    /** Handshakes completed and verified since this client was made (a figure for tests and metrics). */
    public long connectionsEstablished() {
        return connected.get();
    }

    FabricTls tls() {
        return tls;
    }

    Duration connectTimeout() {
        return connectTimeout;
    }

    Duration idleTimeout() {
        return idleTimeout;
    }

    void connected() {
        connected.incrementAndGet();
    }

    /** Drops {@code connection} from its loop's map if it is still the one there (called on that loop). */
    void forget(EventLoop loop, FabricPeer peer, FabricConnection connection) {
        Map<FabricPeer, FabricConnection> ofLoop = connections.get(loop);
        if (ofLoop != null) {
            ofLoop.remove(peer, connection);
        }
    }

    private static Duration requirePositive(Duration value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive, not " + value);
        }
        return value;
    }

    @Override
    public String toString() {
        return "FabricClient[" + tls + "]";
    }
}
