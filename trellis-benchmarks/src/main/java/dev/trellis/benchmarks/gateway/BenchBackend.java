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
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
                        ch.pipeline().addLast(new Responder());
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

    /**
     * Frames HTTP/1.1 requests and answers each one once it has been read whole. Of a request's head it reads only
     * what frames the request or ends the connection: the request line's version and the fields
     * {@code Content-Length}, {@code Transfer-Encoding} and {@code Connection}; the other fields are skipped, not
     * parsed. So a request costs the backend about the same whatever headers a proxy adds to it. (Netty's
     * {@code HttpRequestDecoder}, used before, made objects of every field: the seven headers the gateway must add
     * cost the backend 0.2–0.5 µs of user time per request more than plain nginx's request, on the CPU that the
     * backend and wrk share; docs/benchmarks.md, twenty-third and twenty-fourth runs.)
     *
     * <p>A bench backend, not a server: request bodies are skipped by {@code Content-Length}; a chunked body, a head
     * larger than {@value #MAX_HEAD} bytes or an unreadable length closes the connection.
     */
    private static final class Responder extends ByteToMessageDecoder {
        private static final int MAX_HEAD = 64 * 1024;
        private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] TRANSFER_ENCODING = "transfer-encoding:".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] CONNECTION = "connection:".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] CLOSE = "close".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] HTTP_1_0 = "HTTP/1.0".getBytes(StandardCharsets.US_ASCII);

        /** Body bytes of the current request still to skip. */
        private long bodyLeft;
        private boolean closeAfterResponse;
        private boolean closed;

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            while (!closed && in.isReadable()) {
                if (bodyLeft > 0) {
                    int skipped = (int) Math.min(bodyLeft, in.readableBytes());
                    in.skipBytes(skipped);
                    bodyLeft -= skipped;
                } else if (!readHead(ctx, in)) {
                    return;
                }
                if (bodyLeft == 0) {
                    respond(ctx);
                }
            }
            if (closed) {
                in.skipBytes(in.readableBytes());
            }
        }

        /** Reads one request head whole and sets what frames its body; false when the head is not all here yet. */
        private boolean readHead(ChannelHandlerContext ctx, ByteBuf in) {
            int end = in.writerIndex();
            int lineStart = in.readerIndex();
            boolean requestLine = true;
            long contentLength = 0;
            boolean close = false;
            while (true) {
                int lf = in.forEachByte(lineStart, end - lineStart, ByteProcessor.FIND_LF);
                if (lf < 0) {
                    if (in.readableBytes() > MAX_HEAD) {
                        close(ctx);
                    }
                    return false;
                }
                int lineEnd = lf > lineStart && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
                if (requestLine) {
                    close = endsWith(in, lineStart, lineEnd, HTTP_1_0);
                    requestLine = false;
                } else if (lineEnd == lineStart) {
                    in.readerIndex(lf + 1);
                    bodyLeft = contentLength;
                    closeAfterResponse = close;
                    return true;
                } else if (startsWithName(in, lineStart, lineEnd, CONTENT_LENGTH)) {
                    contentLength = parseLength(in, lineStart + CONTENT_LENGTH.length, lineEnd);
                    if (contentLength < 0) {
                        close(ctx);
                        return false;
                    }
                } else if (startsWithName(in, lineStart, lineEnd, TRANSFER_ENCODING)) {
                    close(ctx);
                    return false;
                } else if (startsWithName(in, lineStart, lineEnd, CONNECTION)) {
                    close = contains(in, lineStart + CONNECTION.length, lineEnd, CLOSE);
                }
                lineStart = lf + 1;
            }
        }

        private void respond(ChannelHandlerContext ctx) {
            if (closeAfterResponse) {
                ctx.writeAndFlush(RESPONSE.duplicate()).addListener(ChannelFutureListener.CLOSE);
                closed = true;
            } else {
                ctx.write(RESPONSE.duplicate());
            }
        }

        private void close(ChannelHandlerContext ctx) {
            closed = true;
            ctx.close();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            super.channelReadComplete(ctx);
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        /** Whether the line starts with {@code name} (lower case, colon included), ignoring the line's case. */
        private static boolean startsWithName(ByteBuf in, int start, int end, byte[] name) {
            if (end - start < name.length) {
                return false;
            }
            for (int i = 0; i < name.length; i++) {
                if ((in.getByte(start + i) | 0x20) != name[i]) {
                    return false;
                }
            }
            return true;
        }

        private static boolean endsWith(ByteBuf in, int start, int end, byte[] suffix) {
            if (end - start < suffix.length) {
                return false;
            }
            for (int i = 0; i < suffix.length; i++) {
                if (in.getByte(end - suffix.length + i) != suffix[i]) {
                    return false;
                }
            }
            return true;
        }

        /** Whether {@code word} (lower case) occurs in the value, ignoring the value's case. */
        private static boolean contains(ByteBuf in, int start, int end, byte[] word) {
            for (int at = start; at + word.length <= end; at++) {
                if (startsWithName(in, at, end, word)) {
                    return true;
                }
            }
            return false;
        }

        /** The decimal value between optional spaces, or -1 when there is none or it has another character. */
        private static long parseLength(ByteBuf in, int start, int end) {
            while (start < end && in.getByte(start) == ' ') {
                start++;
            }
            while (end > start && in.getByte(end - 1) == ' ') {
                end--;
            }
            if (start == end || end - start > 18) {
                return -1;
            }
            long value = 0;
            for (int i = start; i < end; i++) {
                byte digit = in.getByte(i);
                if (digit < '0' || digit > '9') {
                    return -1;
                }
                value = value * 10 + digit - '0';
            }
            return value;
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
