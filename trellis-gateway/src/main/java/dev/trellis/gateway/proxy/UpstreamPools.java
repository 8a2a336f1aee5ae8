package dev.trellis.gateway.proxy;

import dev.trellis.gateway.GatewayConfig;
import io.netty.channel.EventLoop;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** One {@link UpstreamPool} per event loop, created on first use. */
public final class UpstreamPools {

    private final GatewayConfig config;
    private final ConcurrentMap<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();

    public UpstreamPools(GatewayConfig config) {
        this.config = config;
    }

    /** The pool of {@code loop}; use it only on that loop. */
    public UpstreamPool of(EventLoop loop) {
        UpstreamPool pool = pools.get(loop);
        return pool != null ? pool : pools.computeIfAbsent(loop, l -> new UpstreamPool(l, config));
    }
}
