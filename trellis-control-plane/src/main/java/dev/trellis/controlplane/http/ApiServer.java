package dev.trellis.controlplane.http;

import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's HTTP/1.1 server: Netty parses requests on its event loops and hands each whole request to
 * an {@link ApiRequestHandler} on a bounded worker pool (handlers block on the store); the response goes back on the
 * connection's event loop. Every response carries {@code x-amzn-RequestId}. {@link #close} stops accepting, lets
 * in-flight calls finish, then closes the connections.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    /** Large enough for any API body (auth policies are ≤ 10 KB, certificates a few KB). */
    static final int MAX_BODY_BYTES = 4 * 1024 * 1024;
    static final int MAX_HEADER_BYTES = 32 * 1024;

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ThreadPoolExecutor handlers;
    private final Channel serverChannel;
    private final InetSocketAddress address;

    private ApiServer(String host, int port, ApiRequestHandler handler, int handlerThreads)
            throws InterruptedException {
        this.boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        AtomicInteger threadNumber = new AtomicInteger();
        this.handlers = new ThreadPoolExecutor(handlerThreads, handlerThreads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(1024), r -> {
                    Thread t = new Thread(r, "api-handler-" + threadNumber.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        try {
            this.serverChannel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline()
                                    .addLast(new IdleStateHandler(0, 0, 120))
                                    .addLast(new HttpServerCodec(8192, MAX_HEADER_BYTES, 65536))
                                    .addLast(new HttpObjectAggregator(MAX_BODY_BYTES))
                                    .addLast(new RequestDispatcher(handler, handlers));
                        }
                    })
                    .bind(host, port).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            shutdownGroups();
            throw e;
        }
        this.address = (InetSocketAddress) serverChannel.localAddress();
    }

    /** Starts a server on {@code host:port} (port 0 picks a free one). */
    public static ApiServer start(String host, int port, ApiRequestHandler handler) throws InterruptedException {
        // Gateways' snapshot long-polls each hold a worker while they wait, hence more threads than cores.
        return new ApiServer(host, port, handler, 64);
    }

    public InetSocketAddress address() {
        return address;
    }

    public int port() {
        return address.getPort();
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        handlers.shutdown();
        try {
            if (!handlers.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("API calls still running after 30 s; stopping them");
                handlers.shutdownNow();
            }
        } catch (InterruptedException e) {
            handlers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        shutdownGroups();
    }

    private void shutdownGroups() {
        // Quiet period 0: the handler pool has drained, so only responses already written remain to flush.
        workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Turns Netty requests into {@link ApiRequest}s, runs the handler off the event loop, writes the answer. */
    private static final class RequestDispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ApiRequestHandler handler;
        private final ThreadPoolExecutor pool;

        RequestDispatcher(ApiRequestHandler handler, ThreadPoolExecutor pool) {
            this.handler = handler;
            this.pool = pool;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String requestId = UUID.randomUUID().toString();
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (request.decoderResult().isFailure()) {
                write(ctx, requestId, false, plainError(400, "Bad Request",
                        "The request is malformed: " + request.decoderResult().cause().getMessage()));
                return;
            }
            ApiRequest apiRequest;
            try {
                apiRequest = toApiRequest(request);
            } catch (IllegalArgumentException e) {
                // Netty's query decoder refuses malformed escapes (%zz): answer instead of dropping the connection.
                write(ctx, requestId, keepAlive, plainError(400, "MalformedQueryString",
                        "The query string is malformed: " + e.getMessage()));
                return;
            }
            try {
                pool.execute(() -> {
                    ApiResponse response;
                    try {
                        response = handler.handle(apiRequest, requestId);
                    } catch (RuntimeException e) {
                        log.error("request {} {} {} failed", requestId, apiRequest.method(), apiRequest.rawPath(), e);
                        response = plainError(500, "InternalServerException", "Internal error; request id "
                                + requestId);
                    }
                    ApiResponse answer = response;
                    ctx.channel().eventLoop().execute(() -> write(ctx, requestId, keepAlive, answer));
                });
            } catch (RejectedExecutionException e) {
                write(ctx, requestId, keepAlive, plainError(429, "ThrottlingException", "Rate exceeded"));
            }
        }

        private static ApiRequest toApiRequest(FullHttpRequest request) {
            String uri = request.uri();
            int q = uri.indexOf('?');
            String rawPath = q < 0 ? uri : uri.substring(0, q);
            String rawQuery = q < 0 ? "" : uri.substring(q + 1);
            Map<String, List<String>> query = new QueryStringDecoder(uri).parameters();
            TreeMap<String, List<String>> headers = ApiRequest.newHeaderMap();
            for (Map.Entry<String, String> h : request.headers()) {
                headers.computeIfAbsent(h.getKey(), k -> new ArrayList<>()).add(h.getValue());
            }
            byte[] body = ByteBufUtil.getBytes(request.content());
            return new ApiRequest(request.method().name(), rawPath, rawQuery, query, headers, body);
        }

        private static ApiResponse plainError(int status, String code, String message) {
            String body = "{\"message\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
            return new ApiResponse(status, Map.of("x-amzn-ErrorType", code, "Content-Type", "application/json"),
                    body.getBytes(StandardCharsets.UTF_8));
        }

        private static void write(ChannelHandlerContext ctx, String requestId, boolean keepAlive,
                                  ApiResponse response) {
            FullHttpResponse http = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(response.status()), Unpooled.wrappedBuffer(response.body()));
            response.headers().forEach((k, v) -> http.headers().set(k, v));
            http.headers().set("x-amzn-RequestId", requestId);
            http.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.body().length);
            HttpUtil.setKeepAlive(http, keepAlive);
            var future = ctx.writeAndFlush(http);
            if (!keepAlive) {
                future.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof IdleStateEvent) {
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(event);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
