package dev.trellis.gateway.passthrough;

import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.http.PipelineContext;
import dev.trellis.gateway.routing.ServiceRoute;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of a connection to a port with TLS_PASSTHROUGH listeners: it reads the ClientHello, without any
 * handshake, just far enough to learn the server name (SNI), and decides.
 *
 * <ul>
 *   <li>The name is the custom domain of a service with a TLS_PASSTHROUGH listener on this port → it hands the
 *       connection to a {@link PassthroughConnection}, which gets the buffered ClientHello replayed as its first
 *       bytes.</li>
 *   <li>Otherwise, when the port also has listeners this gateway terminates → it builds that pipeline behind
 *       itself and steps aside (the bytes it read are replayed into it; a cleartext HTTP client has "no SNI").</li>
 *   <li>Otherwise (no SNI, an unknown name) → a fatal TLS alert {@code unrecognized_name} and close.</li>
 *   <li>A ClientHello larger than {@link #MAX_CLIENT_HELLO}, a record that is not TLS → closed. No complete
 *       ClientHello within {@code requestHeadTimeout} → closed. Nothing is forwarded in any of these cases.</li>
 * </ul>
 *
 * It also counts the connection against the gateway's connection cap (closing it at once beyond the cap), until a
 * terminating pipeline's own guard takes the count over.
 */
public final class PassthroughSniHandler extends AbstractSniHandler<ServiceRoute> {

    private static final Logger log = LoggerFactory.getLogger(PassthroughSniHandler.class);

    /** The largest ClientHello read: real ones are below 2 KiB, with post-quantum key shares and tickets a few KiB. */
    public static final int MAX_CLIENT_HELLO = 16 * 1024;

    private final PipelineContext context;
    private final int listenerPort;
    private final Consumer<Channel> terminating;
    private final long startNanos = System.nanoTime();
    private final long startMillis = System.currentTimeMillis();
    private ChannelFutureListener uncount;
    private ScheduledFuture<?> timeout;
    private boolean decided;

    /**
     * @param terminating builds the pipeline of this port's HTTP (and HTTPS) listeners behind this handler, for
     *     connections that are not for a TLS_PASSTHROUGH listener
     */
    public PassthroughSniHandler(PipelineContext context, int listenerPort, Consumer<Channel> terminating) {
        // Our own ClientHello timer (below) rather than Netty's, to log why the connection ended.
        super(MAX_CLIENT_HELLO, 0L);
        this.context = context;
        this.listenerPort = listenerPort;
        this.terminating = terminating;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        var counter = context.connectionCounter();
        uncount = f -> counter.decrementAndGet();
        ctx.channel().closeFuture().addListener(uncount);
        if (counter.incrementAndGet() > context.config().maxConnections()) {
            context.config().metrics().connectionRejected();
            ctx.close();
            return;
        }
        timeout = ctx.executor().schedule(() -> timedOut(ctx), context.config().requestHeadTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (decided) {
            // Refused and closing: whatever else arrives is dropped, not parsed (and refused) again.
            in.skipBytes(in.readableBytes());
            return;
        }
        super.decode(ctx, in, out);
    }

    @Override
    protected Future<ServiceRoute> lookup(ChannelHandlerContext ctx, String hostname) {
        // Netty gives the name lower-cased; null when the ClientHello has no SNI, or the bytes are not a ClientHello.
        ServiceRoute route = hostname == null ? null
                : context.snapshots().current().routing().findPassthrough(hostname, listenerPort);
        return ctx.executor().newSucceededFuture(route);
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<ServiceRoute> future) {
        decided = true;
        cancelTimeout();
        ServiceRoute route = future.getNow();
        GatewaySnapshot snapshot = context.snapshots().current();
        if (route != null) {
            // Replacing this decoder replays what it buffered (the ClientHello and anything after it) into the new
            // handler, which connects to a target and sends those bytes first.
            ctx.pipeline().replace(this, "passthrough", new PassthroughConnection(context, listenerPort, snapshot,
                    route, hostname, startNanos, startMillis));
            return;
        }
        if (snapshot.httpPorts().contains(listenerPort)) {
            // Not for a passthrough listener, but this port also has listeners the gateway terminates. Their guard
            // counts the connection from its channelActive on, so this handler's count ends here.
            ctx.channel().closeFuture().removeListener(uncount);
            context.connectionCounter().decrementAndGet();
            terminating.accept(ctx.channel());
            ctx.fireChannelActive();
            ctx.pipeline().remove(this);
            return;
        }
        String reason = hostname == null ? "NoServerName" : "UnknownServerName";
        log.debug("{} on port {}: {} ({})", ctx.channel().remoteAddress(), listenerPort, reason, hostname);
        PassthroughLog.refused(context, snapshot, remote(ctx), listenerPort, hostname, reason, startNanos,
                startMillis);
        TlsAlert.UNRECOGNIZED_NAME.sendAndClose(ctx);
    }

    private void timedOut(ChannelHandlerContext ctx) {
        if (decided || !ctx.channel().isActive()) {
            return;
        }
        PassthroughLog.refused(context, context.snapshots().current(), remote(ctx), listenerPort, null,
                "ClientHelloTimeout", startNanos, startMillis);
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!decided) {
            // Netty refused the bytes (oversized ClientHello, not a TLS record) and closes the connection itself.
            decided = true;
            cancelTimeout();
            log.debug("{} on port {}: ClientHello refused: {}", ctx.channel().remoteAddress(), listenerPort,
                    cause.toString());
            PassthroughLog.refused(context, context.snapshots().current(), remote(ctx), listenerPort, null,
                    "ClientHelloInvalid", startNanos, startMillis);
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelTimeout();
        super.channelInactive(ctx);
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    private static InetSocketAddress remote(ChannelHandlerContext ctx) {
        return (InetSocketAddress) ctx.channel().remoteAddress();
    }
}
