package dev.trellis.controller.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.grpc.Server;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Stands in for one Deployment of the conformance suite's echo server ({@code echo-basic}), on 127.0.0.1. It answers
 * every request with what it received, as JSON with the upstream field names — {@code path} (the raw request URI,
 * query included), {@code host}, {@code method}, {@code headers} (name → values), {@code namespace} and {@code pod} —
 * plus {@code protocol} ({@code HTTP/1.1} or {@code HTTP/2.0}), so a case can see how the gateway reached it. The pod
 * name is {@code <deployment>-0}, so the harness's "pod name starts with the backend's name" check works as upstream.
 *
 * <p>Ports as echo-basic's container has them: the HTTP/1.1 server is targetPort 3000 (also the {@code kubernetes.io/ws}
 * port of the base manifests), and an HTTP/2 server answering <em>prior knowledge only</em> is targetPort 3001 (the
 * {@code kubernetes.io/h2c} port): an HTTP/1.1 request there is a protocol error and the connection closes, so a case
 * through it fails if the gateway does not speak h2c. A Deployment with {@code GRPC_ECHO_SERVER=1} (the gRPC backends)
 * is a {@link GrpcEcho} server on 3000 instead.
 */
final class EchoBackend implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** echo-basic's h2c port (the base manifests' {@code second-port} targets it). */
    private static final int H2C_TARGET_PORT = 3001;

    final String namespace;
    final String deployment;
    final String pod;
    private final HttpServer server;
    private final ExecutorService executor;
    private final EventLoopGroup h2cLoop;
    private final Channel h2c;
    private final Server grpc;

    EchoBackend(String namespace, String deployment) throws IOException {
        this(namespace, deployment, false);
    }

    EchoBackend(String namespace, String deployment, boolean grpcEcho) throws IOException {
        this.namespace = namespace;
        this.deployment = deployment;
        this.pod = deployment + "-0";
        if (grpcEcho) {
            grpc = GrpcEcho.start(namespace, pod);
            server = null;
            executor = null;
            h2cLoop = null;
            h2c = null;
            return;
        }
        grpc = null;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        // the weight case sends ten requests at a time
        executor = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "echo-" + deployment);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, new ArrayList<>(values)));
            exchange.getRequestBody().readAllBytes();
            byte[] body = echo(exchange.getRequestURI().toString(), exchange.getRequestHeaders().getFirst("Host"),
                    exchange.getRequestMethod(), headers, exchange.getProtocol());
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        h2cLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            h2c = new ServerBootstrap().group(h2cLoop).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // no upgrade handler and no HTTP/1.1 codec: the client preface or nothing
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new H2cEcho());
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding the h2c echo", e);
        }
    }

    /** The main port: HTTP/1.1, or gRPC for a gRPC echo. */
    int port() {
        return grpc != null ? grpc.getPort() : server.getAddress().getPort();
    }

    /** The local port behind a Service port, by its targetPort as echo-basic's container serves them. */
    int port(ServicePort servicePort) {
        IntOrString target = servicePort.getTargetPort();
        boolean h2cPort = target != null && target.getIntVal() != null && target.getIntVal() == H2C_TARGET_PORT;
        return h2cPort && h2c != null ? ((InetSocketAddress) h2c.localAddress()).getPort() : port();
    }

    private byte[] echo(String path, String host, String method, Map<String, List<String>> headers, String protocol)
            throws IOException {
        Map<String, Object> echo = new LinkedHashMap<>();
        echo.put("path", path);
        echo.put("host", host);
        echo.put("method", method);
        echo.put("protocol", protocol);
        echo.put("headers", headers);
        echo.put("namespace", namespace);
        echo.put("pod", pod);
        return JSON.writeValueAsBytes(echo);
    }

    /** The h2c echo: answers each stream, once its request has ended, with the echo JSON. */
    private final class H2cEcho extends ChannelInboundHandlerAdapter {
        private final Map<Integer, Http2Headers> requests = new HashMap<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws IOException {
            try {
                if (msg instanceof Http2HeadersFrame frame) {
                    requests.putIfAbsent(frame.stream().id(), frame.headers());
                    if (frame.isEndStream()) {
                        answer(ctx, frame.stream());
                    }
                } else if (msg instanceof Http2DataFrame frame && frame.isEndStream()) {
                    answer(ctx, frame.stream());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void answer(ChannelHandlerContext ctx, Http2FrameStream stream) throws IOException {
            Http2Headers request = requests.remove(stream.id());
            Map<String, List<String>> headers = new LinkedHashMap<>();
            request.forEach(h -> {
                String name = h.getKey().toString();
                if (!name.startsWith(":")) {
                    headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.getValue().toString());
                }
            });
            byte[] body = echo(String.valueOf(request.path()), String.valueOf(request.authority()),
                    String.valueOf(request.method()), headers, "HTTP/2.0");
            ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                    .set("content-type", "application/json").setInt("content-length", body.length)).stream(stream));
            ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), true).stream(stream));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        if (grpc != null) {
            grpc.shutdownNow();
            return;
        }
        server.stop(0);
        executor.shutdownNow();
        h2c.close();
        h2cLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
