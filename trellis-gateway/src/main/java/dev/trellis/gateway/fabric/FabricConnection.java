package dev.trellis.gateway.fabric;

import dev.trellis.gateway.GatewayTransport;
import dev.trellis.gateway.http.TurnFlushes;
import dev.trellis.model.snapshot.FabricPeer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.function.BiConsumer;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One multiplexed HTTP/2-over-mutual-TLS connection from this gateway to one peer gateway, owned by one event loop
 * (see {@link FabricClient} for why per loop). Requests that arrive while it connects wait in order; once the
 * handshake has verified the peer (CA chain by the trust manager, then the SAN {@code <peer vpc>.gateway.trellis.
 * internal} and ALPN {@code h2} here) each gets its own stream. A connection that closes, fails or receives GOAWAY
 * takes no new streams; the client opens a new one for the next request (reconnect on demand).
 */
final class FabricConnection {

    private static final Logger log = LoggerFactory.getLogger(FabricConnection.class);

    private enum State { CONNECTING, READY, CLOSED }

    private final FabricClient client;
    private final EventLoop loop;
    private final FabricPeer peer;
    /** Streams asked for while connecting, in order: forwarded requests and TCP tunnels. */
    private final ArrayDeque<PendingStream> waiting = new ArrayDeque<>();
    private State state = State.CONNECTING;
    private Channel channel;
    /** The HTTP/2 layer, once the peer is verified. */
    private FabricHttp2 http2;
    private boolean tcpConnected;
    private int streams;
    private ScheduledFuture<?> idleClose;
    private final FabricHeaders.Writer headerWriter = new FabricHeaders.Writer();

    FabricConnection(FabricClient client, EventLoop loop, FabricPeer peer) {
        this.client = client;
        this.loop = loop;
        this.peer = peer;
    }

    /** Writes the fabric headers of this connection's requests. */
    FabricHeaders.Writer headerWriter() {
        return headerWriter;
    }

    /** Whether new requests may use this connection. */
    boolean usable() {
        return state != State.CLOSED;
    }

    void connect() {
        assert loop.inEventLoop();
        ChannelFuture connect = new Bootstrap()
                .group(loop)
                .channel(GatewayTransport.of(loop).socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) client.connectTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // The contexts current now: a renewed identity is used from the next connection on.
                        SslHandler tls = client.tls().clientContext().newHandler(ch.alloc(), peer.host(), peer.port());
                        ch.pipeline().addLast("tls", tls).addLast("verify", new PeerVerifier());
                    }
                })
                .connect(peer.host(), peer.port());
        channel = connect.channel();
        connect.addListener((ChannelFuture f) -> {
            tcpConnected = f.isSuccess();
            if (!f.isSuccess()) {
                log.debug("connecting to the fabric peer {} failed: {}", peer, f.cause().toString());
                failWaiting("FabricConnectionFailed", "Bad Gateway: could not connect to the gateway of "
                        + peer.vpcId() + " at " + address());
            }
        });
        channel.closeFuture().addListener(f -> onClosed());
    }

    /** Sends {@code forward} on its own stream, now or once connected. */
    void forward(RemoteForward forward) {
        switch (state) {
            case CONNECTING -> waiting.add(new PendingStream(() -> openStream(forward),
                    (reason, message) -> forward.fail(502, reason, message)));
            case READY -> openStream(forward);
            case CLOSED -> forward.fail(502, "FabricConnectionFailed", "Bad Gateway: the fabric connection to the"
                    + " gateway of " + peer.vpcId() + " is closed");
        }
    }

    /** Opens a TCP tunnel on its own stream, now or once connected. */
    void tunnel(TunnelRequest tunnel) {
        switch (state) {
            case CONNECTING -> waiting.add(new PendingStream(() -> openTunnelStream(tunnel), tunnel::onTunnelFailed));
            case READY -> openTunnelStream(tunnel);
            case CLOSED -> tunnel.onTunnelFailed("FabricConnectionFailed", "the fabric connection to the gateway of "
                    + peer.vpcId() + " is closed");
        }
    }

    private void openTunnelStream(TunnelRequest tunnel) {
        if (!channel.isActive()) {
            tunnel.onTunnelFailed("FabricConnectionError", "the fabric connection to the gateway of " + peer.vpcId()
                    + " closed");
            return;
        }
        streamOpened();
        new FabricTunnelClientStream(tunnel, this, http2).start();
    }

    private void streamOpened() {
        streams++;
        if (idleClose != null) {
            idleClose.cancel(false);
            idleClose = null;
        }
    }

    private void openStream(RemoteForward forward) {
        if (!channel.isActive()) {
            forward.fail(502, "FabricConnectionError", "Bad Gateway: the fabric connection to the gateway of "
                    + peer.vpcId() + " closed");
            return;
        }
        streamOpened();
        new FabricClientStream(forward, this, http2).start();
    }

    /** A stream of this connection closed (ended, reset, or never opened). */
    void streamClosed() {
        streams--;
        if (streams == 0 && state == State.READY) {
            idleClose = loop.schedule(() -> {
                if (streams == 0) {
                    log.debug("closing the idle fabric connection to {}", peer);
                    channel.close();
                }
            }, client.idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void ready(Channel ch) {
        http2 = FabricHttp2.Builder.client(this::onGoAway);
        ch.pipeline().addLast("flush", new TurnFlushes()).addLast("h2", http2);
        state = State.READY;
        client.connected();
        PendingStream pending;
        while ((pending = waiting.poll()) != null) {
            pending.open().run();
        }
    }

    private void onClosed() {
        state = State.CLOSED;
        if (idleClose != null) {
            idleClose.cancel(false);
        }
        client.forget(loop, peer, this);
        if (!tcpConnected) {
            // A failed connect closes the channel before its listener runs; that listener tells the waiters why.
            return;
        }
        failWaiting("FabricConnectionFailed", "Bad Gateway: the fabric connection to the gateway of "
                + peer.vpcId() + " at " + address() + " closed");
    }

    private void failWaiting(String reason, String message) {
        state = State.CLOSED;
        client.forget(loop, peer, this);
        PendingStream pending;
        while ((pending = waiting.poll()) != null) {
            pending.fail().accept(reason, message);
        }
    }

    private String address() {
        return peer.host() + ":" + peer.port();
    }

    /** Checks the peer once the TLS handshake is done, then installs HTTP/2. */
    private final class PeerVerifier extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (!(evt instanceof SslHandshakeCompletionEvent done)) {
                ctx.fireUserEventTriggered(evt);
                return;
            }
            if (!done.isSuccess()) {
                log.debug("TLS handshake with the fabric peer {} failed: {}", peer, done.cause().toString());
                failWaiting("FabricHandshakeFailed", "Bad Gateway: the TLS handshake with the gateway of "
                        + peer.vpcId() + " at " + address() + " failed: " + done.cause().getMessage());
                ctx.close();
                return;
            }
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            String refusal = refusal(tls);
            if (refusal != null) {
                log.warn("refusing the fabric peer at {}: {}", address(), refusal);
                failWaiting("FabricPeerRejected", "Bad Gateway: the fabric peer at " + address() + " is refused: "
                        + refusal);
                ctx.close();
                return;
            }
            ctx.pipeline().remove(this);
            ready(ctx.channel());
        }

        private String refusal(SslHandler tls) {
            if (!ApplicationProtocolNames.HTTP_2.equals(tls.applicationProtocol())) {
                return "it did not agree on ALPN h2";
            }
            try {
                Certificate[] chain = tls.engine().getSession().getPeerCertificates();
                X509Certificate leaf = (X509Certificate) chain[0];
                String expected = FabricTls.gatewayName(peer.vpcId());
                if (!FabricTls.hasDnsName(leaf, expected)) {
                    return "its certificate names " + FabricTls.dnsNames(leaf) + ", not " + expected;
                }
                return null;
            } catch (SSLPeerUnverifiedException e) {
                return "it presented no certificate";
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("fabric connection to {} failed: {}", peer, cause.toString());
            ctx.close();
        }
    }

    /** GOAWAY from the peer: streams in progress finish; new requests go to a new connection. */
    private void onGoAway() {
        state = State.CLOSED;
        client.forget(loop, peer, this);
    }

    /** A stream asked for while the connection was being made: how to open it, and how to refuse it. */
    private record PendingStream(Runnable open, BiConsumer<String, String> fail) {
    }

    @Override
    public String toString() {
        return "FabricConnection[" + peer + ", " + state + ", " + streams + " streams]";
    }
}
