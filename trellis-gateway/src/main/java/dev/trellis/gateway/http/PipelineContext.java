package dev.trellis.gateway.http;

import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.proxy.UpstreamPools;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every connection of one gateway server shares: the configuration, the current snapshot, the count of open
 * client connections, and the per-event-loop connection pools to targets.
 */
public final class PipelineContext {

    /** The Lattice listener port a client connection was accepted on (not the local port it is mapped to). */
    static final AttributeKey<Integer> LISTENER_PORT = AttributeKey.valueOf("trellis.listenerPort");
    static final AttributeKey<ConnectionGuard> GUARD = AttributeKey.valueOf("trellis.connectionGuard");

    private final GatewayConfig config;
    private final GatewaySnapshots snapshots;
    private final UpstreamPools upstreams;
    private final AtomicInteger connections = new AtomicInteger();
    private final ChannelGroup accepted = new DefaultChannelGroup("client connections", GlobalEventExecutor.INSTANCE);

    public PipelineContext(GatewayConfig config, GatewaySnapshots snapshots) {
        this.config = config;
        this.snapshots = snapshots;
        this.upstreams = new UpstreamPools(config);
    }

    public GatewayConfig config() {
        return config;
    }

    public GatewaySnapshots snapshots() {
        return snapshots;
    }

    public UpstreamPools upstreams() {
        return upstreams;
    }

    /** Client connections open now. */
    public int openConnections() {
        return connections.get();
    }

    /**
     * Every client connection accepted and still open (a closed one leaves by itself), for closing them all while
     * the event loops still run: on io_uring a socket whose loop shuts down first can stay open, so the peer
     * never sees the close.
     */
    public ChannelGroup acceptedConnections() {
        return accepted;
    }

    /** The count of open client connections, shared by every pipeline (the connection cap). */
    public AtomicInteger connectionCounter() {
        return connections;
    }
}
