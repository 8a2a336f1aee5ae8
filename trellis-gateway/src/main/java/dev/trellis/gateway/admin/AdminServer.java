package dev.trellis.gateway.admin;

import dev.trellis.gateway.GatewayServer;
import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.metrics.GatewayMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's admin port: a small HTTP/1.1 server, separate from the listener ports and on its own single
 * event-loop thread (a scrape never delays a proxied request), bound to 127.0.0.1:9901 by default:
 *
 * <ul>
 *   <li>{@code GET /metrics}: the Prometheus text format ({@link GatewayMetrics#scrape()});</li>
 *   <li>{@code GET /healthz}: 200 while the process serves;</li>
 *   <li>{@code GET /readyz}: 200 once a snapshot with a revision above 0 is served and every listener port it
 *       needs is bound; else 503 with the reason.</li>
 * </ul>
 * Anything else is 404 (405 for another method on a known path). Admin requests are small: bodies over 4 KiB are
 * refused by the aggregator, and a connection that sends nothing for 30 seconds is closed.
 */
public final class AdminServer implements AutoCloseable {

    public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
    public static final int DEFAULT_PORT = 9901;
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final GatewayMetrics metrics;
    private final GatewaySnapshots snapshots;
    private final GatewayServer gateway;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;

    private AdminServer(String bindAddress, int port, GatewayMetrics metrics, GatewaySnapshots snapshots,
                        GatewayServer gateway) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        var bound = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(30), new HttpServerCodec(),
                                new HttpObjectAggregator(4096), new Handler());
                    }
                })
                .bind(bindAddress, port).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot bind the admin port " + bindAddress + ":" + port + ": "
                    + bound.cause(), bound.cause());
        }
        this.channel = bound.channel();
        log.info("admin port listening on {}", channel.localAddress());
    }

    /**
     * Starts the admin port on {@code bindAddress}:{@code port} (0: any free port) for {@code gateway}, which serves
     * {@code snapshots} and records into {@code metrics}.
     *
     * @throws IllegalStateException when the port cannot be bound
     */
    public static AdminServer start(String bindAddress, int port, GatewayMetrics metrics,
                                    GatewaySnapshots snapshots, GatewayServer gateway) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("the admin port must be 0-65535, not " + port);
        }
        return new AdminServer(Objects.requireNonNull(bindAddress, "bindAddress"), port, metrics, snapshots,
                gateway);
    }

    /** The port bound (the one asked for, or the ephemeral one chosen). */
    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Null when ready; else why not, as {@code /readyz} says it. */
    public String notReadyReason() {
        GatewaySnapshot current = snapshots.current();
        if (current.revision() <= 0) {
            return "no snapshot received from the control plane yet (revision 0)";
        }
        Set<Integer> missing = new TreeSet<>(current.httpPorts());
        missing.addAll(current.passthroughPorts());
        missing.removeAll(gateway.listenerPorts());
        if (!missing.isEmpty()) {
            return "revision " + current.revision() + ": listener ports not bound: " + missing;
        }
        return null;
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (request.decoderResult().isFailure()) {
                respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "text/plain; charset=utf-8",
                        "Bad Request\n", false);
                return;
            }
            String path = new QueryStringDecoder(request.uri()).path();
            boolean known = path.equals("/metrics") || path.equals("/healthz") || path.equals("/readyz");
            if (!known) {
                respond(ctx, request, HttpResponseStatus.NOT_FOUND, "text/plain; charset=utf-8",
                        "Not Found: the admin port serves /metrics, /healthz and /readyz\n", true);
                return;
            }
            boolean head = request.method().equals(HttpMethod.HEAD);
            if (!head && !request.method().equals(HttpMethod.GET)) {
                respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                        "Method Not Allowed: use GET\n", true);
                return;
            }
            switch (path) {
                case "/metrics" -> respond(ctx, request, HttpResponseStatus.OK, PROMETHEUS_TEXT, metrics.scrape(),
                        !head);
                case "/healthz" -> respond(ctx, request, HttpResponseStatus.OK, "text/plain; charset=utf-8",
                        "ok\n", !head);
                default -> {
                    String reason = notReadyReason();
                    if (reason == null) {
                        respond(ctx, request, HttpResponseStatus.OK, "text/plain; charset=utf-8",
                                "ready: revision " + snapshots.current().revision() + "\n", !head);
                    } else {
                        respond(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
                                "not ready: " + reason + "\n", !head);
                    }
                }
            }
        }

        private void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                             String contentType, String body, boolean withBody) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ByteBuf content = withBody ? Unpooled.wrappedBuffer(bytes) : Unpooled.EMPTY_BUFFER;
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            boolean keepAlive = HttpUtil.isKeepAlive(request) && !request.decoderResult().isFailure();
            HttpUtil.setKeepAlive(response, keepAlive);
            var write = ctx.writeAndFlush(response);
            if (!keepAlive) {
                write.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("admin connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
