package dev.trellis.gateway.support;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 client with prior knowledge (no upgrade), built on Netty: one connection, one stream per request. The
 * JDK client cannot do prior knowledge, nor send a {@code :authority} other than its URI's.
 */
public final class H2Client implements AutoCloseable {

    /** A response: status, headers (lower-case names) and body. */
    public record Response(int status, Map<String, String> headers, String body) {
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel connection;
    private final java.util.concurrent.atomic.AtomicBoolean goAway = new java.util.concurrent.atomic.AtomicBoolean();

    public H2Client(int port) throws InterruptedException {
        connection = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                                new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        if (msg instanceof io.netty.handler.codec.http2.Http2GoAwayFrame) {
                                            goAway.set(true);
                                        }
                                        io.netty.util.ReferenceCountUtil.release(msg);
                                    }
                                });
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
    }

    /** True until the server (or this client) closes the connection. */
    public boolean isOpen() {
        return connection.isActive();
    }

    /** True once the server has sent GOAWAY on this connection. */
    public boolean goAwayReceived() {
        return goAway.get();
    }

    public Response get(String authority, String path) throws Exception {
        return send(HttpMethod.GET, authority, path, Map.of(), null);
    }

    /** Sends one request on a new stream and waits for its whole response. */
    public Response send(HttpMethod method, String authority, String path, Map<String, String> headers,
                         String body) throws Exception {
        return send(method, authority, path, headers, body, false);
    }

    /**
     * Sends only the head of a request (HEADERS without END_STREAM, body still to come) and waits for the response
     * the server gives before the body.
     */
    public Response sendHeadOnly(HttpMethod method, String authority, String path, Map<String, String> headers)
            throws Exception {
        return send(method, authority, path, headers, null, true);
    }

    private Response send(HttpMethod method, String authority, String path, Map<String, String> headers,
                          String body, boolean headOnly) throws Exception {
        CompletableFuture<Response> response = new CompletableFuture<>();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel ch) {
                        ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false),
                                new HttpObjectAggregator(64 * 1024 * 1024),
                                new SimpleChannelInboundHandler<FullHttpResponse>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
                                        Map<String, String> names = new java.util.LinkedHashMap<>();
                                        msg.headers().forEach(e -> names.put(e.getKey().toLowerCase(),
                                                e.getValue()));
                                        response.complete(new Response(msg.status().code(), names,
                                                msg.content().toString(StandardCharsets.UTF_8)));
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        response.completeExceptionally(new IllegalStateException(
                                                "stream closed without a response"));
                                    }
                                });
                    }
                }).open().sync().getNow();
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path,
                body == null ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        request.headers().set("host", authority);
        request.headers().set("x-http2-scheme", "http");
        headers.forEach(request.headers()::set);
        if (body != null && !request.headers().contains("content-length")) {
            request.headers().set("content-length", request.content().readableBytes());
        }
        if (headOnly) {
            request.release();
            io.netty.handler.codec.http.HttpRequest head = new io.netty.handler.codec.http.DefaultHttpRequest(
                    HttpVersion.HTTP_1_1, method, path, request.headers());
            stream.writeAndFlush(head);
        } else {
            stream.writeAndFlush(request);
        }
        return response.get(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        connection.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
