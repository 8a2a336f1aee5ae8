package dev.trellis.benchmarks.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Keeps requests flowing through the gateway while the memory benchmark swaps snapshots: a few keep-alive
 * connections on one event-loop thread of its own, and per {@link Window} the latency of every request and the
 * longest gap between two consecutive responses on any connection. A pause of the gateway (a GC pause, a blocked
 * event loop) shows as both a slow request and a gap.
 *
 * <p>It starts as a closed loop: each connection sends its next request as soon as the last response ended, which
 * finds the most this machine serves. {@link #pace} then fixes the rate: each connection sends on a schedule, and a
 * request's latency counts from the time it was due, not from when it went out, so a pause that holds requests
 * back is counted in full (no coordinated omission).
 */
final class SteadyClient implements AutoCloseable {

    /**
     * What one stretch of time measured. Latencies go into 10 µs buckets up to 100 ms (an overflow bucket beyond),
     * so a long run costs a fixed 40 KB. Written by the client's event loop only, read after {@link #stop}.
     */
    static final class Window {
        private static final int BUCKET_MICROS = 10;
        private static final int BUCKETS = 10_000;

        private final String name;
        private final int[] histogram = new int[BUCKETS + 1];
        private long count;
        private long failures;
        private long maxLatencyNanos;
        private long maxGapNanos;
        private long lastResponseNanos;
        private long startNanos;
        private long endNanos;

        Window(String name) {
            this.name = name;
        }

        void record(long latencyNanos, long now) {
            count++;
            maxLatencyNanos = Math.max(maxLatencyNanos, latencyNanos);
            histogram[(int) Math.min(BUCKETS, latencyNanos / 1_000 / BUCKET_MICROS)]++;
            if (lastResponseNanos != 0) {
                maxGapNanos = Math.max(maxGapNanos, now - lastResponseNanos);
            }
            lastResponseNanos = now;
        }

        String name() {
            return name;
        }

        long count() {
            return count;
        }

        long failures() {
            return failures;
        }

        double maxLatencyMillis() {
            return maxLatencyNanos / 1e6;
        }

        double maxGapMillis() {
            return maxGapNanos / 1e6;
        }

        double seconds() {
            return (endNanos - startNanos) / 1e9;
        }

        /** The latency under which {@code fraction} of requests finished, to the bucket's upper bound, ms. */
        double percentileMillis(double fraction) {
            long rank = (long) Math.ceil(fraction * count);
            long seen = 0;
            for (int i = 0; i <= BUCKETS; i++) {
                seen += histogram[i];
                if (seen >= rank && rank > 0) {
                    return i == BUCKETS ? maxLatencyMillis() : (i + 1) * BUCKET_MICROS / 1000.0;
                }
            }
            return 0;
        }
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("bench-client", true), NioIoHandler.newFactory());
    private final List<Channel> channels = new ArrayList<>();
    private final String host;
    private volatile Window window;
    private volatile boolean running = true;
    /** Between two requests of one connection when paced; 0 while the loop is closed. Client loop only. */
    private long intervalNanos;

    private SteadyClient(String host) {
        this.host = host;
    }

    /** Opens {@code connections} connections to 127.0.0.1:{@code port} and starts sending, into {@code first}. */
    static SteadyClient start(int port, String host, int connections, Window first) throws InterruptedException {
        SteadyClient client = new SteadyClient(host);
        client.switchTo(first);
        Bootstrap bootstrap = new Bootstrap().group(client.group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), client.new Loop());
                    }
                });
        for (int i = 0; i < connections; i++) {
            Channel channel = bootstrap.connect("127.0.0.1", port).sync().channel();
            client.channels.add(channel);
            channel.eventLoop().execute(() -> client.send(channel, System.nanoTime()));
        }
        return client;
    }

    /** From now on responses count in {@code next}; the current window is closed. Any thread. */
    void switchTo(Window next) {
        Window previous = window;
        long now = System.nanoTime();
        next.startNanos = now;
        // Hand-over on the client's loop, so no response is recorded into a window being read.
        group.next().submit(() -> {
            if (previous != null) {
                previous.endNanos = now;
            }
            window = next;
        }).syncUninterruptibly();
    }

    /** Ends the current window and stops sending. */
    void stop() {
        running = false;
        switchTo(new Window("after"));
    }

    /**
     * From now on sends {@code requestsPerSecond} in all, spread evenly over the connections; the connections'
     * schedules are staggered so that requests do not go out in bursts. Any thread.
     */
    void pace(double requestsPerSecond) {
        group.next().submit(() -> {
            intervalNanos = Math.max(1, (long) (channels.size() * 1e9 / requestsPerSecond));
            long now = System.nanoTime();
            for (int i = 0; i < channels.size(); i++) {
                // The request in flight now keeps its start; each connection's schedule begins after it.
                channels.get(i).attr(Loop.DUE).set(now + intervalNanos * i / channels.size());
            }
        }).syncUninterruptibly();
    }

    /** Sends the next request on {@code channel}: now (closed loop, or when it is overdue) or when it is due. */
    private void next(Channel channel) {
        if (intervalNanos == 0) {
            send(channel, System.nanoTime());
            return;
        }
        long due = channel.attr(Loop.DUE).get();
        channel.attr(Loop.DUE).set(due + intervalNanos);
        long wait = due - System.nanoTime();
        if (wait <= 0) {
            send(channel, due);
        } else {
            channel.eventLoop().schedule(() -> send(channel, due), wait, TimeUnit.NANOSECONDS);
        }
    }

    /** Sends a request whose latency counts from {@code start}. */
    private void send(Channel channel, long start) {
        if (!running || !channel.isActive()) {
            return;
        }
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        request.headers().set(HttpHeaderNames.HOST, host);
        channel.attr(Loop.SENT).set(start);
        channel.writeAndFlush(request);
    }

    @Override
    public void close() {
        running = false;
        for (Channel channel : channels) {
            channel.close();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Records each response and sends the next request on the same connection (now, or when due). */
    private final class Loop extends SimpleChannelInboundHandler<HttpObject> {
        static final io.netty.util.AttributeKey<Long> SENT = io.netty.util.AttributeKey.valueOf("sent");
        static final io.netty.util.AttributeKey<Long> DUE = io.netty.util.AttributeKey.valueOf("due");
        private boolean ok;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpResponse response) {
                ok = response.status().code() == 200;
            }
            if (msg instanceof LastHttpContent) {
                long now = System.nanoTime();
                Window w = window;
                w.record(now - ctx.channel().attr(SENT).get(), now);
                if (!ok) {
                    w.failures++;
                }
                next(ctx.channel());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            window.failures++;
            ctx.close();
        }
    }
}
