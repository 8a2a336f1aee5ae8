package dev.trellis.controller.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An HTTP/2 cleartext client with prior knowledge (no upgrade, no ALPN), as the upstream H2C case's client: one GET
 * per connection, its status and body returned.
 */
final class H2cClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Status, and the echo JSON when the body is one. */
    record Answer(int status, String body, JsonNode echo) {
    }

    private H2cClient() {
    }

    static Answer get(int port, String authority, String path) throws IOException {
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel connection = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // the codec sends the client preface first: prior knowledge
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                    new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                        }
                    }).connect("127.0.0.1", port).sync().channel();
            CompletableFuture<Answer> answer = new CompletableFuture<>();
            connection.closeFuture().addListener(f -> answer.completeExceptionally(
                    new IOException("the connection closed before the answer")));
            Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection).handler(new Collector(answer))
                    .open().sync().getNow();
            stream.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("GET").scheme("http")
                    .authority(authority).path(path), true));
            Answer got = answer.get(10, TimeUnit.SECONDS);
            connection.close();
            return got;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("no HTTP/2 answer from port " + port, e);
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** Collects one response stream: the :status of its headers, the bytes of its data frames. */
    private static final class Collector extends SimpleChannelInboundHandler<Http2StreamFrame> {
        private final CompletableFuture<Answer> answer;
        private final ByteBuf body = Unpooled.buffer();
        private int status;

        Collector(CompletableFuture<Answer> answer) {
            this.answer = answer;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) throws IOException {
            boolean end = false;
            if (frame instanceof Http2HeadersFrame headers) {
                if (headers.headers().status() != null) {
                    status = Integer.parseInt(headers.headers().status().toString());
                }
                end = headers.isEndStream();
            } else if (frame instanceof Http2DataFrame data) {
                body.writeBytes(data.content());
                end = data.isEndStream();
            }
            if (end) {
                String text = body.toString(StandardCharsets.UTF_8);
                body.release();
                answer.complete(new Answer(status, text, text.startsWith("{") ? JSON.readTree(text) : null));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            answer.completeExceptionally(cause);
        }
    }
}
