package dev.trellis.benchmarks.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The target every proxy of the wrk harness forwards to, and the direct baseline: a Netty server on one event-loop
 * thread that answers every request with the same tiny response ({@code 200}, body {@code ok}).
 *
 * <p>The response is a pre-encoded buffer written as is, and writes are flushed once per read batch, so the
 * backend costs as little CPU as a Java server can: the proxies, not the backend, should be what the harness
 * measures. Run alone with {@code java -cp benchmarks.jar dev.trellis.benchmarks.gateway.BenchBackend <port>}.
 */
public final class BenchBackend implements AutoCloseable {

    private static final ByteBuf RESPONSE = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(
            ("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok")
                    .getBytes(StandardCharsets.US_ASCII)));

    private final EventLoopGroup group;
    private final Channel server;

    private BenchBackend(String host, int port) throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("bench-backend", true),
                NioIoHandler.newFactory());
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpRequestDecoder(), new Responder());
                    }
                })
                .bind(host, port).sync().channel();
    }

    /** Starts a backend on {@code host:port} (0: an ephemeral port). */
    public static BenchBackend start(String host, int port) throws InterruptedException {
        return new BenchBackend(host, port);
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Answers each complete request; a request that asked to close the connection gets it closed. */
    private static final class Responder extends SimpleChannelInboundHandler<HttpObject> {
        private boolean keepAlive = true;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpRequest request) {
                keepAlive = HttpUtil.isKeepAlive(request);
            }
            if (msg instanceof LastHttpContent) {
                if (keepAlive) {
                    ctx.write(RESPONSE.duplicate());
                } else {
                    ctx.writeAndFlush(RESPONSE.duplicate()).addListener(ChannelFutureListener.CLOSE);
                }
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        BenchBackend backend = start("127.0.0.1", port);
        System.out.println("ready " + backend.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
