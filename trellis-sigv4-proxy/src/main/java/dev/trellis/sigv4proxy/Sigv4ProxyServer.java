package dev.trellis.sigv4proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SigV4 proxy: an HTTP/1.1 listener that forwards every request to the upstream, signed. Start it with
 * {@link #start}; {@link #close} stops listening and ends connections in progress.
 */
public final class Sigv4ProxyServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Sigv4ProxyServer.class);

    private final Sigv4ProxyConfig config;
    private final EventLoopGroup group;
    private final ExecutorService signing;
    private final Channel listener;

    private Sigv4ProxyServer(Sigv4ProxyConfig config, EventLoopGroup group, ExecutorService signing,
                             Channel listener) {
        this.config = config;
        this.group = group;
        this.signing = signing;
        this.listener = listener;
    }

    /**
     * Binds the listener and returns once it accepts connections.
     *
     * @param caCertificate PEM file of CA certificates to trust for https upstreams instead of the JVM's default
     *     trust store, or null
     */
    public static Sigv4ProxyServer start(Sigv4ProxyConfig config, File caCertificate) throws InterruptedException {
        SslContext tls = "https".equals(config.scheme) ? clientTls(config, caCertificate) : null;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(0, NioIoHandler.newFactory());
        AtomicInteger threads = new AtomicInteger();
        // Credentials may need an STS call (the SDK's providers refresh in the background, but the first resolution
        // and a late refresh block): never on an event loop.
        ExecutorService signing = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "sigv4-proxy-signing-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        RequestSigner signer = new RequestSigner(config.signingName, config.region);
        try {
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec());
                            ch.pipeline().addLast(new ProxyFrontendHandler(config, signer, tls, signing));
                        }
                    })
                    .bind(config.bindAddress, config.port).sync().channel();
            Sigv4ProxyServer server = new Sigv4ProxyServer(config, group, signing, channel);
            log.info("SigV4 proxy listening on {}:{}, forwarding to {}://{}{}, signing {} in {}{}",
                    config.bindAddress, server.port(), config.scheme,
                    config.host == null ? "<each request's Host>" : config.host,
                    config.signHost == null ? "" : " with Host " + config.signHost,
                    config.signingName, config.region, config.unsignedPayload ? " (UNSIGNED-PAYLOAD)" : "");
            return server;
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            signing.shutdownNow();
            throw e;
        }
    }

    private static SslContext clientTls(Sigv4ProxyConfig config, File caCertificate) {
        try {
            SslContextBuilder builder = SslContextBuilder.forClient();
            if (!config.verifySsl) {
                builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
            } else if (caCertificate != null) {
                builder.trustManager(caCertificate);
            }
            if (config.verifySsl) {
                builder.endpointIdentificationAlgorithm("HTTPS");
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up TLS to the upstream: " + e.getMessage(), e);
        }
    }

    /** The port it listens on (the one picked when configured with 0). */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    public Sigv4ProxyConfig config() {
        return config;
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        signing.shutdownNow();
    }
}
