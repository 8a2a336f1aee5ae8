package dev.trellis.gateway.support;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A cleartext HTTP/2 target (prior knowledge only, no HTTP/1.1): answers every stream's request headers with
 * {@link #status(int)} and no body, and records each request's pseudo-headers and headers. A request that arrives
 * here arrived over HTTP/2, since the server speaks nothing else.
 */
public final class H2cBackend implements AutoCloseable {

    /** A request's headers, pseudo-headers included ({@code :path}, {@code :authority}, ...). */
    public record Received(Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name);
        }
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private volatile int status = 200;

    public H2cBackend() throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(),
                                new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                                    @Override
                                    protected void initChannel(Channel stream) {
                                        stream.pipeline().addLast(new StreamHandler());
                                    }
                                }));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Answers with {@code status} from now on. */
    public H2cBackend status(int status) {
        this.status = status;
        return this;
    }

    /** The next request received, waiting up to 5 seconds. */
    public Received take() throws InterruptedException {
        Received next = received.poll(5, TimeUnit.SECONDS);
        if (next == null) {
            throw new AssertionError("the h2c backend received no request within 5 seconds");
        }
        return next;
    }

    private final class StreamHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame frame) {
                    Map<String, String> headers = new java.util.LinkedHashMap<>();
                    frame.headers().forEach(e -> headers.put(e.getKey().toString(), e.getValue().toString()));
                    received.add(new Received(headers));
                    ctx.writeAndFlush(new DefaultHttp2HeadersFrame(
                            new DefaultHttp2Headers().status(Integer.toString(status)), true));
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
