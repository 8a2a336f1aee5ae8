package dev.trellis.gateway.http;

import dev.trellis.auth.Principal;
import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.proxy.HttpTypes;
import dev.trellis.gateway.proxy.ReadAgain;
import dev.trellis.gateway.proxy.TargetRequestHeaders;
import dev.trellis.gateway.routing.ServiceRoute;
import dev.trellis.gateway.tls.TlsConnection;
import dev.trellis.model.snapshot.TargetGroupEntry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of the request pipeline, after the HTTP codec: it turns each request into an {@link Exchange} and
 * feeds it the request body. The same handler serves an HTTP/1.1 connection (requests one after another, with
 * keep-alive) and an HTTP/2 stream channel (one request; {@code Http2StreamFrameToHttpObjectCodec} in front of it
 * turns frames into the same HTTP objects), so both protocols go through one pipeline.
 *
 * <p>Reading is switched off (autoRead) for as long as any reason to pause holds: an HTTP/1.1 request is complete
 * and its response is not (pipelined requests wait in the socket, and the few already decoded wait here); the
 * target connection is not ready; the target connection's outbound buffer is full.
 */
final class ClientExchangeHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ClientExchangeHandler.class);

    static final int PAUSE_PIPELINING = 1;
    static final int PAUSE_CONNECTING = 2;
    static final int PAUSE_UPSTREAM_FULL = 4;

    private final PipelineContext context;
    private final boolean http2;
    private ChannelHandlerContext ctx;
    private ConnectionGuard guard;
    private int listenerPort;
    /** What the connection's TLS handshake negotiated; null on cleartext connections. */
    private TlsConnection tls;
    private InetSocketAddress remote;
    /** The client's address and the listener port as text, made once per connection for the requests' headers. */
    private String clientIp;
    /** The same two as {@code AsciiString}s: header values whose bytes the HTTP encoder copies. */
    private AsciiString clientIpValue;
    private AsciiString listenerPortValue;
    /**
     * The {@code x-amzn-lattice-identity} value of the connection's last authenticated caller (a connection
     * usually carries one caller's requests), made when the caller changes: the principal is the snapshot's
     * object, so a new snapshot makes it again.
     */
    private Principal identityOf;
    private AsciiString identityValue;
    /** See {@link #targetLines}. */
    private TargetRequestHeaders.Lines lines;
    private GatewaySnapshot linesSnapshot;
    private ServiceRoute linesRoute;
    private TargetGroupEntry linesGroup;
    private Principal linesCaller;
    private Exchange current;
    private final ArrayDeque<Object> pipelined = new ArrayDeque<>();
    private int pauses;
    private boolean draining;
    /** True between a read's first message and its channelReadComplete (see {@link #inRead}). */
    private boolean reading;
    /**
     * The idle-timeout timer of this connection's exchanges. An exchange used to schedule a timer when its request
     * went out and cancel it when the response ended: two timer-queue operations per request. Now an HTTP/1.1
     * connection keeps one armed across its exchanges; when it fires it asks the exchange of the moment, which
     * arms it again for the time it has left (or not, when it is done). HTTP/2 streams have one exchange each.
     */
    private ScheduledFuture<?> idleTimer;
    private long idleTimerDeadline;
    private final Runnable idleTimerTask = this::idleTimerFired;
    private final Runnable nextRequestTask = this::nextRequest;

    ClientExchangeHandler(PipelineContext context, boolean http2) {
        this.context = context;
        this.http2 = http2;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        Channel connection = http2 ? ctx.channel().parent() : ctx.channel();
        this.guard = connection.attr(PipelineContext.GUARD).get();
        this.listenerPort = connection.attr(PipelineContext.LISTENER_PORT).get();
        this.tls = TlsConnection.of(connection);
    }

    String clientIp() {
        return clientIp;
    }

    AsciiString clientIpValue() {
        return clientIpValue;
    }

    AsciiString listenerPortValue() {
        return listenerPortValue;
    }

    /**
     * When the connection's read in progress began, from the guard's clock read for it; a fresh clock read when no
     * read is in progress (a pipelined request taken from the queue, an HTTP/2 stream's frames delivered later).
     */
    long readStartNanos() {
        long started = guard.readStartNanos();
        return started != 0 ? started : System.nanoTime();
    }

    /**
     * The lines of the gateway's own headers that {@code exchange}'s request takes to an HTTP/1.1 target
     * ({@link TargetRequestHeaders}), made when the snapshot, route, target group or caller differ from the
     * connection's last request's (a connection usually carries one client's requests to one service): compared by
     * identity, as the snapshot's objects are.
     */
    TargetRequestHeaders.Lines targetLines(Exchange exchange, GatewaySnapshot snapshot, ServiceRoute route,
                                           TargetGroupEntry group, Principal caller) {
        if (snapshot != linesSnapshot || route != linesRoute || group != linesGroup || caller != linesCaller) {
            lines = exchange.makeTargetLines();
            linesSnapshot = snapshot;
            linesRoute = route;
            linesGroup = group;
            linesCaller = caller;
        }
        return lines;
    }

    /** {@code x-amzn-lattice-identity} for an authenticated caller of this connection. */
    AsciiString identityValue(Principal caller) {
        if (caller != identityOf) {
            identityValue = LatticeHeaders.headerValue(LatticeHeaders.identity(caller));
            identityOf = caller;
        }
        return identityValue;
    }

    /** The connection's TLS facts, or null when it is cleartext. */
    TlsConnection tls() {
        return tls;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        if (!pipelined.isEmpty() || draining || (current != null && HttpTypes.isRequest(msg))) {
            // A request is still being answered: keep later requests (and their bodies) in order.
            pipelined.add(msg);
            pause(PAUSE_PIPELINING);
            return;
        }
        dispatch(msg);
    }

    private void dispatch(Object msg) {
        if (HttpTypes.isRequest(msg)) {
            HttpRequest request = (HttpRequest) msg;
            if (remote == null) {
                Channel connection = http2 ? ctx.channel().parent() : ctx.channel();
                remote = (InetSocketAddress) connection.remoteAddress();
                clientIp = remote.getAddress().getHostAddress();
                clientIpValue = new AsciiString(clientIp);
                listenerPortValue = new AsciiString(Integer.toString(listenerPort));
                if (!http2) {
                    // An h2c upgrade is offered with a connection's first request (this one, which did not ask for
                    // it or was refused). From here on the upgrade handler would only pass every message through.
                    HttpServerUpgradeHandler upgrade = ctx.pipeline().get(HttpServerUpgradeHandler.class);
                    if (upgrade != null) {
                        ctx.pipeline().remove(upgrade);
                    }
                }
            }
            // A whole request (HTTP/2 with END_STREAM, or a head the decoder refused): its body travels on as a
            // last content, which the exchange owns (and releases) from here.
            HttpContent body = null;
            if (HttpTypes.isFullRequest(msg)) {
                FullHttpRequest full = (FullHttpRequest) msg;
                body = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
            }
            guard.exchangeStarted();
            current = new Exchange(this, context, request, body, http2, listenerPort, remote);
            current.start();
            return;
        }
        if (HttpTypes.isContent(msg)) {
            HttpContent content = (HttpContent) msg;
            if (current == null) {
                content.release();
            } else {
                current.onRequestContent(content);
            }
            return;
        }
        // HTTP/2 frames that reach the HTTP/1.1 handler around an upgrade, and anything else: not ours.
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        Exchange exchange = current;
        if (exchange != null) {
            exchange.onClientReadComplete();
        }
        ctx.fireChannelReadComplete();
    }

    /**
     * True while this connection's read is being handled: what the exchange writes to its target then can wait
     * for {@link #channelReadComplete} and go out in one write (a request's head and its end, or a body's pieces,
     * usually arrive in one read).
     */
    boolean inRead() {
        return reading;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null && ctx.channel().isWritable()) {
            current.onClientWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelIdleTimer();
        Exchange exchange = current;
        if (exchange != null) {
            exchange.onClientClosed();
        }
        releasePipelined();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof HttpServerUpgradeHandler.UpgradeEvent
                || evt == PriorKnowledgeDetector.STARTED) {
            // From here the connection speaks HTTP/2; requests arrive on stream channels, each with its own handler.
            guard.switchedToHttp2();
            GatewayChannelInitializer.consolidateForHttp2(ctx.pipeline());
            ctx.pipeline().remove(this);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {} failed: {}", ctx.channel(), cause.toString());
        ctx.close();
    }

    // --- what an exchange uses ---------------------------------------------------------------------------------

    EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    ChannelFuture writeAndFlush(Object msg) {
        return ctx.writeAndFlush(msg);
    }

    /** Writes and flushes with no promise to complete: for writes nobody waits for (a failure closes, below). */
    void writeAndFlushVoid(Object msg) {
        ctx.writeAndFlush(msg, ctx.voidPromise());
    }

    /** Writes without flushing; the exchange flushes when the read that brought {@code msg} is complete. */
    void write(Object msg) {
        ctx.write(msg, ctx.voidPromise());
    }

    void flush() {
        ctx.flush();
    }

    boolean isWritable() {
        return ctx.channel().isWritable();
    }

    /** HTTP/1.1: the connection; HTTP/2: the stream (closing an unfinished stream resets it with CANCEL). */
    void closeChannel() {
        ctx.channel().close();
    }

    /**
     * After a complete response to an incomplete request: HTTP/2 asks the client to stop sending with
     * {@code RST_STREAM(NO_ERROR)} (RFC 9113 §8.1); HTTP/1.1 can only close the connection.
     */
    void endRequestEarly() {
        if (http2) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR))
                    .addListener(f -> ctx.channel().close());
        } else {
            ctx.channel().close();
        }
    }

    /** The connection has lived its maximum duration: the response in progress is its last. */
    boolean connectionDraining() {
        return guard.draining();
    }

    void pause(int reason) {
        pauses |= reason;
        ctx.channel().config().setAutoRead(false);
    }

    void resume(int reason) {
        pauses &= ~reason;
        if (pauses == 0 && ctx.channel().isActive()) {
            // An HTTP/2 stream's WINDOW_UPDATE must not wait for its connection's read to end (ReadAgain).
            ReadAgain.of(ctx.channel());
        }
    }

    /**
     * The current exchange's idle check runs within {@code delayNanos} of {@code nowNanos}: the connection's timer is
     * left as it is when it fires soon enough (the exchange re-arms it if it fires early), else it is scheduled for
     * then.
     */
    void armIdleCheck(long delayNanos, long nowNanos) {
        long deadline = nowNanos + delayNanos;
        if (idleTimer != null) {
            if (idleTimerDeadline - deadline <= 0) {
                return;
            }
            idleTimer.cancel(false);
        }
        idleTimerDeadline = deadline;
        idleTimer = ctx.executor().schedule(idleTimerTask, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void idleTimerFired() {
        idleTimer = null;
        Exchange exchange = current;
        if (exchange != null) {
            exchange.idleCheck();
        }
    }

    private void cancelIdleTimer() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    /** The exchange is over (response sent or abandoned, request read or dropped) at {@code nowNanos}. */
    void exchangeFinished(Exchange exchange, boolean closeConnection, long nowNanos) {
        if (exchange != current) {
            return;
        }
        current = null;
        guard.exchangeEnded(exchange.idleTimeoutNanos(), nowNanos);
        if (http2) {
            // A stream serves one exchange: its timer must not linger in the loop's queue after it.
            cancelIdleTimer();
            return;
        }
        if (closeConnection) {
            // The exchange closes the connection once its response is written (closing here could cut the end of
            // a response still in the outbound buffer); nothing more is read until then.
            draining = true;
            releasePipelined();
            return;
        }
        // Next request: first those already decoded, then the socket again. Later, not re-entrantly: this may be
        // called from inside a request's own handling. Nothing to do (the usual case: reading never stopped) costs
        // no task.
        if (!pipelined.isEmpty() || (pauses & PAUSE_PIPELINING) != 0) {
            ctx.executor().execute(nextRequestTask);
        }
    }

    /**
     * HTTP/1.1: the current request has been read whole; bytes from now on are the next request's. Reading goes on
     * (a request that arrives before this response is done waits in {@link #pipelined}, and reading stops then),
     * and the guard times the next head from its first byte.
     */
    void requestReadWhole() {
        guard.requestReadWhole();
    }

    private void nextRequest() {
        // In order: the next request's head, then its body, up to the request after it.
        while (!pipelined.isEmpty() && ctx.channel().isActive()) {
            if (current != null && pipelined.peek() instanceof HttpRequest) {
                return;
            }
            dispatch(pipelined.poll());
        }
        if (current == null || !current.requestComplete()) {
            resume(PAUSE_PIPELINING);
        }
    }

    private void releasePipelined() {
        Object msg;
        while ((msg = pipelined.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
