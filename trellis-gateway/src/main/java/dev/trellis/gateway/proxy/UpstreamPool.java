package dev.trellis.gateway.proxy;

import dev.trellis.gateway.GatewayTransport;
import dev.trellis.gateway.GatewayConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Connections to targets, for one event loop: exchanges on that loop borrow a connection to a target and give it
 * back when the response ends, so connections are reused without locks (only this loop touches the pool) and a
 * request and its upstream connection share one thread.
 *
 * <p>Per (target address, {@link UpstreamTransport}):
 * <ul>
 *   <li>HTTP/1.1 (cleartext or TLS): idle keep-alive connections, one exchange at a time each, closed after
 *       {@link GatewayConfig#upstreamIdleTimeout()}; at most {@link GatewayConfig#maxIdleConnectionsPerTarget()}
 *       kept idle.</li>
 *   <li>HTTP/2 (h2c or h2 over TLS): {@link Http2Upstream} connections, each multiplexing up to
 *       {@link GatewayConfig#maxUpstreamStreamsPerConnection()} exchanges; a new connection is opened only when
 *       every open one is full.</li>
 * </ul>
 */
public final class UpstreamPool {

    /** Response heads from targets may be larger than what the gateway accepts from clients. */
    private static final int MAX_RESPONSE_LINE = 16 * 1024;
    private static final int MAX_RESPONSE_HEADERS = 64 * 1024;

    /** What connections are pooled by: the target's address and how the gateway talks to it. */
    record Key(InetSocketAddress address, UpstreamTransport transport) {
    }

    private final EventLoop loop;
    private final GatewayConfig config;
    private final Bootstrap bootstrap;
    private final Map<Key, ArrayDeque<UpstreamConnection>> idle = new HashMap<>();
    private final Map<Key, List<Http2Upstream>> http2 = new HashMap<>();
    /**
     * Closes idle connections past {@link GatewayConfig#upstreamIdleTimeout()}. One timer for the whole pool,
     * armed only while connections are idle, instead of one scheduled on every release and cancelled on the next
     * acquire (two timer-queue operations per request): each connection records when it went idle.
     */
    private ScheduledFuture<?> idleSweep;
    private final Runnable idleSweepTask = this::sweepIdle;

    UpstreamPool(EventLoop loop, GatewayConfig config) {
        this.loop = loop;
        this.config = config;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(GatewayTransport.of(loop).socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.targetConnectTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true);
    }

    /** {@link #acquire(InetSocketAddress, UpstreamTransport, BiConsumer)} over cleartext HTTP/1.1. */
    public void acquire(InetSocketAddress target, BiConsumer<UpstreamConnection, Throwable> done) {
        acquire(target, UpstreamTransport.HTTP1, done);
    }

    /**
     * Calls {@code done} with a connection to {@code target} speaking {@code transport}: an idle pooled one or a
     * stream of an open HTTP/2 connection (at once), or a new one (once connected and, for TLS, once the handshake
     * is done), or with the failure. Must be called on this pool's event loop; {@code done} runs there too.
     */
    public void acquire(InetSocketAddress target, UpstreamTransport transport,
                        BiConsumer<UpstreamConnection, Throwable> done) {
        assert loop.inEventLoop();
        Key key = new Key(target, transport);
        if (transport.http2()) {
            acquireStream(key, done);
            return;
        }
        ArrayDeque<UpstreamConnection> connections = idle.get(key);
        while (connections != null && !connections.isEmpty()) {
            UpstreamConnection connection = connections.pollLast();
            if (connection.channel().isActive()) {
                done.accept(connection, null);
                return;
            }
        }
        open(key, done);
    }

    /**
     * Opens a new HTTP/1.1 connection for {@link #acquire}. Rare once the pool is warm, so kept out of
     * {@code acquire}, which is inlined into the request path: what the JIT compiles there is the pooled case and a
     * call here (this method is too large to be inlined at a rarely taken call site), not the connection set-up.
     */
    private void open(Key key, BiConsumer<UpstreamConnection, Throwable> done) {
        InetSocketAddress target = key.address();
        UpstreamTransport transport = key.transport();
        UpstreamConnection connection = new UpstreamConnection(this, key, null, false);
        ChannelFuture connect = bootstrap.clone()
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (transport.tls()) {
                            ch.pipeline().addLast("tls", UpstreamTls.newHandler(ch.alloc(), target, false,
                                    config.targetConnectTimeout().toMillis()));
                        }
                        // No FlushConsolidationHandler: the exchange flushes once per client read
                        // (Exchange.flushUpstreamSoon), at once, instead of through a task after the loop turn.
                        ch.pipeline().addLast(new Http1TargetCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(MAX_RESPONSE_LINE)
                                .setMaxHeaderSize(MAX_RESPONSE_HEADERS)), connection);
                    }
                })
                .connect(target);
        connect.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                done.accept(null, f.cause());
            } else if (!transport.tls()) {
                done.accept(connection, null);
            } else {
                f.channel().pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
                    if (h.isSuccess()) {
                        done.accept(connection, null);
                    } else {
                        f.channel().close();
                        done.accept(null, new UpstreamHandshakeException(h.cause()));
                    }
                });
            }
        });
    }

    private void acquireStream(Key key, BiConsumer<UpstreamConnection, Throwable> done) {
        List<Http2Upstream> connections = http2.computeIfAbsent(key, k -> new ArrayList<>(1));
        for (Http2Upstream connection : connections) {
            if (connection.hasRoom()) {
                connection.acquire(done);
                return;
            }
        }
        Http2Upstream connection = new Http2Upstream(this, loop, key, config.maxUpstreamStreamsPerConnection(),
                config.upstreamIdleTimeout().toMillis(), config.targetConnectTimeout().toMillis());
        connections.add(connection);
        connection.acquire(done);
        ChannelFuture connect = bootstrap.clone().handler(connection.initializer()).connect(key.address());
        connect.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                connection.failed(f.cause());
            } else if (!key.transport().tls()) {
                connection.ready();
            } else {
                f.channel().pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
                    if (h.isSuccess()) {
                        connection.ready();
                    } else {
                        connection.failed(new UpstreamHandshakeException(h.cause()));
                    }
                });
            }
        });
    }

    void giveBack(UpstreamConnection connection) {
        ArrayDeque<UpstreamConnection> connections = idle.computeIfAbsent(connection.key(),
                k -> new ArrayDeque<>());
        if (connections.size() >= config.maxIdleConnectionsPerTarget()) {
            connection.channel().close();
            return;
        }
        connection.idleSince(connection.nanoTime());
        connections.addLast(connection);
        if (idleSweep == null) {
            idleSweep = loop.schedule(idleSweepTask, config.upstreamIdleTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Closes the connections idle for the timeout or longer, then arms itself for the next one to expire, if any.
     * Connections are reused last-in first-out, so in each queue the longest idle are first.
     */
    private void sweepIdle() {
        idleSweep = null;
        long timeout = config.upstreamIdleTimeout().toNanos();
        long now = System.nanoTime();
        long next = Long.MAX_VALUE;
        for (ArrayDeque<UpstreamConnection> connections : List.copyOf(idle.values())) {
            UpstreamConnection oldest;
            while ((oldest = connections.peekFirst()) != null) {
                long left = oldest.idleSince() + timeout - now;
                if (left > 0) {
                    next = Math.min(next, left);
                    break;
                }
                connections.pollFirst();
                oldest.channel().close();
            }
        }
        idle.values().removeIf(ArrayDeque::isEmpty);
        if (next != Long.MAX_VALUE) {
            idleSweep = loop.schedule(idleSweepTask, next, TimeUnit.NANOSECONDS);
        }
    }

    void forget(UpstreamConnection connection) {
        ArrayDeque<UpstreamConnection> connections = idle.get(connection.key());
        if (connections != null) {
            connections.remove(connection);
            if (connections.isEmpty()) {
                idle.remove(connection.key());
            }
        }
    }

    /** An HTTP/2 connection that takes no more streams (closed, failed, GOAWAY). */
    void forget(Http2Upstream connection) {
        List<Http2Upstream> connections = http2.get(connection.key());
        if (connections != null) {
            connections.remove(connection);
            if (connections.isEmpty()) {
                http2.remove(connection.key());
            }
        }
    }

    /** Idle HTTP/1.1 connections held, all targets together (for tests and metrics). */
    public int idleConnections() {
        int n = 0;
        for (ArrayDeque<UpstreamConnection> connections : idle.values()) {
            n += connections.size();
        }
        return n;
    }

    /** HTTP/2 connections open or opening, all targets together (for tests and metrics). */
    public int http2Connections() {
        int n = 0;
        for (List<Http2Upstream> connections : http2.values()) {
            n += connections.size();
        }
        return n;
    }
}
