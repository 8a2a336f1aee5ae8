package dev.trellis.gateway.support;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
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
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLSession;

/**
 * A target speaking exactly one protocol: HTTP/1.1 over TLS, h2c (prior knowledge only) or h2 over TLS (ALPN h2).
 * It answers {@code 200 "<protocol> <method> <path> <body>"} and records what it received, including how the
 * connection was made (TLS protocol, ALPN, the SNI the client sent).
 */
public final class ProtocolBackend implements AutoCloseable {

    public enum Mode { HTTP1_TLS, H2C, H2_TLS }

    /** One request as the target saw it. */
    public record Received(String protocol, String method, String path, Map<String, String> headers, String body,
                           String tlsProtocol, String alpn, List<String> sni) {
        public String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final Mode mode;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final AtomicInteger connections = new AtomicInteger();

    public ProtocolBackend(Mode mode, SelfSignedTls tls) throws InterruptedException {
        this.mode = mode;
        SslContext context = switch (mode) {
            case HTTP1_TLS -> tls.serverContext("http/1.1");
            case H2_TLS -> tls.serverContext("h2");
            case H2C -> null;
        };
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.incrementAndGet();
                        if (context != null) {
                            ch.pipeline().addLast(context.newHandler(ch.alloc()));
                        }
                        if (mode == Mode.HTTP1_TLS) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                    new Responder("HTTP/1.1"));
                        } else {
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(),
                                    new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                                        @Override
                                        protected void initChannel(Channel stream) {
                                            stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true),
                                                    new HttpObjectAggregator(1 << 20), new Responder("HTTP/2"));
                                        }
                                    }));
                        }
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    public Received take() throws InterruptedException {
        Received r = received.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError(mode + " backend received nothing");
        }
        return r;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String protocol;

        Responder(String protocol) {
            this.protocol = protocol;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            Channel connection = ctx.channel() instanceof io.netty.handler.codec.http2.Http2StreamChannel
                    ? ctx.channel().parent() : ctx.channel();
            SslHandler ssl = connection.pipeline().get(SslHandler.class);
            String tlsProtocol = null;
            String alpn = null;
            List<String> sni = List.of();
            if (ssl != null) {
                SSLSession session = ssl.engine().getSession();
                tlsProtocol = session.getProtocol();
                alpn = ssl.applicationProtocol();
                if (session instanceof ExtendedSSLSession extended) {
                    sni = extended.getRequestedServerNames().stream().map(Object::toString).toList();
                }
            }
            Map<String, String> headers = new HashMap<>();
            request.headers().forEach(e -> headers.merge(e.getKey().toLowerCase(), e.getValue(),
                    (a, b) -> a + "," + b));
            String body = request.content().toString(StandardCharsets.UTF_8);
            received.add(new Received(protocol, request.method().name(), request.uri(), headers, body, tlsProtocol,
                    alpn, sni));
            byte[] answer = (protocol + " " + request.method() + " " + request.uri() + " " + body)
                    .getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    request.uri().startsWith("/health-bad") ? HttpResponseStatus.SERVICE_UNAVAILABLE
                            : HttpResponseStatus.OK, Unpooled.wrappedBuffer(answer));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, answer.length);
            ctx.writeAndFlush(response);
        }
    }
}
