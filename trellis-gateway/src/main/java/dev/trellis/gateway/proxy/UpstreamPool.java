package dev.trellis.gateway.proxy;

import dev.trellis.gateway.GatewayConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Keep-alive connections to targets, for one event loop: exchanges on that loop borrow a connection to a target
 * and give it back when the response ends, so connections are reused without locks (only this loop touches the
 * pool) and a request and its upstream connection share one thread.
 *
 * <p>Idle connections are closed after {@link GatewayConfig#upstreamIdleTimeout()}; at most
 * {@link GatewayConfig#maxIdleConnectionsPerTarget()} are kept per target.
 */
public final class UpstreamPool {

    /** Response heads from targets may be larger than what the gateway accepts from clients. */
    private static final int MAX_RESPONSE_LINE = 16 * 1024;
    private static final int MAX_RESPONSE_HEADERS = 64 * 1024;

    private final EventLoop loop;
    private final GatewayConfig config;
    private final Bootstrap bootstrap;
    private final Map<InetSocketAddress, ArrayDeque<UpstreamConnection>> idle = new HashMap<>();

    UpstreamPool(EventLoop loop, GatewayConfig config) {
        this.loop = loop;
        this.config = config;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.targetConnectTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true);
    }

    /**
     * Calls {@code done} with an idle pooled connection to {@code target} (at once) or a new one (once connected),
     * or with the connect failure. Must be called on this pool's event loop; {@code done} runs there too.
     */
    public void acquire(InetSocketAddress target, BiConsumer<UpstreamConnection, Throwable> done) {
        assert loop.inEventLoop();
        ArrayDeque<UpstreamConnection> connections = idle.get(target);
        while (connections != null && !connections.isEmpty()) {
            UpstreamConnection connection = connections.pollLast();
            if (connection.channel().isActive()) {
                done.accept(connection, null);
                return;
            }
        }
        UpstreamConnection connection = new UpstreamConnection(this, target);
        ChannelFuture connect = bootstrap.clone()
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(MAX_RESPONSE_LINE)
                                .setMaxHeaderSize(MAX_RESPONSE_HEADERS), false, false), connection);
                    }
                })
                .connect(target);
        connect.addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                done.accept(connection, null);
            } else {
                done.accept(null, f.cause());
            }
        });
    }

    void giveBack(UpstreamConnection connection) {
        ArrayDeque<UpstreamConnection> connections = idle.computeIfAbsent(connection.target(),
                k -> new ArrayDeque<>());
        if (connections.size() >= config.maxIdleConnectionsPerTarget()) {
            connection.channel().close();
            return;
        }
        connections.addLast(connection);
        connection.idleClose(loop.schedule(() -> {
            connection.channel().close();
        }, config.upstreamIdleTimeout().toMillis(), TimeUnit.MILLISECONDS));
    }

    void forget(UpstreamConnection connection) {
        ArrayDeque<UpstreamConnection> connections = idle.get(connection.target());
        if (connections != null) {
            connections.remove(connection);
            if (connections.isEmpty()) {
                idle.remove(connection.target());
            }
        }
    }

    /** Idle connections held, all targets together (for tests and metrics). */
    public int idleConnections() {
        int n = 0;
        for (ArrayDeque<UpstreamConnection> connections : idle.values()) {
            n += connections.size();
        }
        return n;
    }
}
