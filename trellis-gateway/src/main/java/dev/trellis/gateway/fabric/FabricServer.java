package dev.trellis.gateway.fabric;

import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.GatewayTransport;
import dev.trellis.gateway.http.TurnFlushes;
import dev.trellis.gateway.proxy.UpstreamPools;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fabric listener: accepts HTTP/2 over mutual TLS from peer gateways (TLS 1.3 only, a client certificate from the
 * fabric CA required, ALPN {@code h2} only) and serves each stream ({@link FabricHttp2}) with a {@link FabricServerStream}, which proxies
 * the request to a target of the named target group in this gateway's own snapshot.
 *
 * <p>The peer's VPC is read once per connection from its certificate ({@code <vpc>.gateway.trellis.internal}) and
 * every stream's claimed source VPC must match it. Connections run on the gateway's event loops and use the same
 * per-loop target connection pools as client connections.
 */
public final class FabricServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FabricServer.class);

    /** HTTP/2 stream window, both directions: what a paused stream may hold unread. */
    static final int STREAM_WINDOW = 256 * 1024;
    /** Added to the 64 KiB default connection window (to 16 MiB), so paused streams do not stall the others. */
    static final int CONNECTION_WINDOW_INCREMENT = 16 * 1024 * 1024 - 65_535;
    /** Concurrent streams a peer may open; the peer's client queues streams beyond it. */
    static final int MAX_CONCURRENT_STREAMS = 1000;
    /** Request heads carry the client's headers plus the fabric's. */
    static final int MAX_HEADER_LIST = 64 * 1024;

    static final AttributeKey<String> PEER_VPC = AttributeKey.valueOf("trellis.fabricPeerVpc");

    private final FabricTls tls;
    private final GatewaySnapshots snapshots;
    private final UpstreamPools upstreams;
    /** Peer connections open now (handshaking ones included); a closed one leaves by itself. */
    private final ChannelGroup peers = new DefaultChannelGroup("fabric peers", GlobalEventExecutor.INSTANCE);
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private Channel listener;

    private FabricServer(FabricTls tls, GatewaySnapshots snapshots, UpstreamPools upstreams) {
        this.tls = tls;
        this.snapshots = snapshots;
        this.upstreams = upstreams;
    }

    /**
     * Binds {@code bindAddress:port} (0: any free port) on {@code group} and serves peers from then on.
     *
     * @throws IllegalStateException when the address cannot be bound
     */
    public static FabricServer start(FabricTls tls, GatewaySnapshots snapshots, UpstreamPools upstreams,
                                     EventLoopGroup group, String bindAddress, int port) {
        FabricServer server = new FabricServer(tls, snapshots, upstreams);
        ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channel(GatewayTransport.of(group).serverSocketChannel())
                .option(ChannelOption.SO_BACKLOG, 128)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        server.peers.add(ch);
                        // The contexts current now: renewal affects handshakes from here on, not open connections.
                        ch.pipeline().addLast("tls", tls.serverContext().newHandler(ch.alloc()))
                                .addLast("verify", server.new PeerVerifier());
                    }
                })
                .bind(bindAddress, port);
        if (!bound.awaitUninterruptibly(10, TimeUnit.SECONDS) || !bound.isSuccess()) {
            bound.channel().close();
            throw new IllegalStateException("cannot listen for the fabric on " + bindAddress + ":" + port + ": "
                    + (bound.cause() == null ? "timed out" : bound.cause().getMessage()), bound.cause());
        }
        server.listener = bound.channel();
        log.info("fabric listening on {} as {}", server.listener.localAddress(),
                FabricTls.gatewayName(tls.vpcId()));
        return server;
    }

    /** The local port the fabric listens on. */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Peer connections whose handshake and certificate were accepted since start. */
    public long connectionsAccepted() {
        return accepted.get();
    }

    /** Connections refused at the handshake (no certificate, another CA, not a gateway, no h2) since start. */
    public long connectionsRefused() {
        return refused.get();
    }

    /** Peer connections open now (handshaking ones included). */
    public int openConnections() {
        return peers.size();
    }

    GatewaySnapshots snapshots() {
        return snapshots;
    }

    UpstreamPools upstreams() {
        return upstreams;
    }

    String vpcId() {
        return tls.vpcId();
    }

    /** Stops listening and closes every peer connection; call it while the event loops still run. */
    @Override
    public void close() {
        if (listener != null) {
            listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        peers.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** After the handshake: ALPN h2 and a gateway certificate, then HTTP/2 with a stream per forwarded request. */
    private final class PeerVerifier extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (!(evt instanceof SslHandshakeCompletionEvent done)) {
                ctx.fireUserEventTriggered(evt);
                return;
            }
            if (!done.isSuccess()) {
                refused.incrementAndGet();
                log.debug("fabric handshake from {} failed: {}", ctx.channel().remoteAddress(), done.cause().toString());
                ctx.close();
                return;
            }
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            String peerVpc = peerVpc(ssl);
            if (!ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol()) || peerVpc == null) {
                refused.incrementAndGet();
                log.warn("refusing fabric peer {}: ALPN {}, gateway VPC {}", ctx.channel().remoteAddress(),
                        ssl.applicationProtocol(), peerVpc);
                ctx.close();
                return;
            }
            accepted.incrementAndGet();
            ctx.channel().attr(PEER_VPC).set(peerVpc);
            ctx.pipeline().remove(this);
            ctx.pipeline().addLast("flush", new TurnFlushes());
            FabricRequest.Reader reader = new FabricRequest.Reader(peerVpc);
            ctx.pipeline().addLast("h2", FabricHttp2.Builder.server(
                    stream -> new FabricServerStream(FabricServer.this, reader, stream)));
        }

        private String peerVpc(SslHandler ssl) {
            try {
                return FabricTls.vpcOf((X509Certificate) ssl.engine().getSession().getPeerCertificates()[0]);
            } catch (SSLPeerUnverifiedException e) {
                return null;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("fabric connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    @Override
    public String toString() {
        return "FabricServer[" + (listener == null ? "-" : listener.localAddress()) + "]";
    }
}
