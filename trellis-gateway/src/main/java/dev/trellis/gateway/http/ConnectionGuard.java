package dev.trellis.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of every client connection, below the HTTP codecs (it sees raw bytes): it enforces the
 * connection cap, the idle timeout, the request-head timeout (slowloris) and the maximum connection duration.
 *
 * <ul>
 *   <li><b>Cap.</b> A connection beyond {@code maxConnections} is closed as soon as it is accepted.</li>
 *   <li><b>Idle.</b> With no request in progress and no byte either way for the idle timeout (the last service's
 *       {@code idleTimeoutSeconds}, the configured default before that), the connection is closed (HTTP/2:
 *       GOAWAY first). Idle is timed from the last read or the end of the last request, whichever is later: the
 *       gateway writes only while a request is in progress or in answer to a read, so its writes need no clock
 *       read of their own.</li>
 *   <li><b>Head timeout.</b> On HTTP/1.1, once a byte of a request has arrived, its head must be complete within
 *       {@code requestHeadTimeout}; otherwise the client gets 408 and the connection closes.</li>
 *   <li><b>Duration.</b> After {@code maxConnectionDuration} the connection drains: HTTP/1.1 answers the request in
 *       progress with {@code Connection: close}; HTTP/2 sends GOAWAY and closes when its streams are done.</li>
 * </ul>
 * All state is touched on the connection's event loop only (HTTP/2 stream channels share it).
 */
final class ConnectionGuard extends ChannelInboundHandlerAdapter {

    static final String REQUEST_TIMEOUT_BODY = "Request Timeout: the request head did not arrive in time";
    private static final byte[] REQUEST_TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\n"
            + "content-type: text/plain; charset=utf-8\r\ncontent-length: " + REQUEST_TIMEOUT_BODY.length()
            + "\r\nconnection: close\r\n\r\n" + REQUEST_TIMEOUT_BODY).getBytes(StandardCharsets.US_ASCII);

    private final PipelineContext context;
    private ChannelHandlerContext ctx;
    private boolean counted;
    private boolean http2;
    private boolean draining;
    private int activeExchanges;
    private long lastActivityNanos;
    /** When the read in progress began; 0 between reads. */
    private long readStartNanos;
    private long idleTimeoutNanos;
    /** When the first byte of the HTTP/1.1 request head in progress arrived; 0 when no head is in progress. */
    private long headStartNanos;
    /**
     * HTTP/1.1: the request of the exchange in progress has been read whole, so bytes arriving now begin the next
     * request's head (the connection keeps reading while a response is in progress), and are timed from now.
     */
    private boolean awaitingNextHead;
    /**
     * Checks the head in progress, if any. Not scheduled and cancelled per request (two timer-queue operations on
     * every request of a keep-alive connection): it stays armed while requests follow each other, and on firing it
     * re-arms itself for the head in progress or lapses when there is none.
     */
    private ScheduledFuture<?> headTimer;
    private ScheduledFuture<?> idleTimer;
    private ScheduledFuture<?> lifetimeTimer;

    ConnectionGuard(PipelineContext context) {
        this.context = context;
        this.idleTimeoutNanos = context.config().defaultIdleTimeout().toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        counted = true;
        if (context.connectionCounter().incrementAndGet() > context.config().maxConnections()) {
            context.config().metrics().connectionRejected();
            ctx.close();
            return;
        }
        lastActivityNanos = System.nanoTime();
        scheduleIdleCheck(idleTimeoutNanos);
        lifetimeTimer = ctx.executor().schedule(this::drain,
                context.config().maxConnectionDuration().toNanos(), TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long now = System.nanoTime();
        lastActivityNanos = now;
        readStartNanos = now | 1; // never 0, which means "no read in progress"
        if (!http2 && headStartNanos == 0 && (activeExchanges == 0 || awaitingNextHead)) {
            headStartNanos = now | 1; // never 0, which means "no head in progress"
            if (headTimer == null) {
                scheduleHeadCheck(context.config().requestHeadTimeout().toNanos());
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        readStartNanos = 0;
        ctx.fireChannelReadComplete();
    }

    /**
     * When the read being handled began (one clock read per read, which the exchanges it starts share), or 0 when
     * no read is in progress.
     */
    long readStartNanos() {
        return readStartNanos;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            counted = false;
            context.connectionCounter().decrementAndGet();
        }
        cancel(headTimer);
        cancel(idleTimer);
        cancel(lifetimeTimer);
        ctx.fireChannelInactive();
    }

    /** The head of an HTTP/1.1 request has been decoded. */
    void requestHeadReceived() {
        // The timer stays armed for the next request (see headTimer); it finds no head in progress and lapses.
        headStartNanos = 0;
    }

    /** A request (HTTP/1.1) or stream (HTTP/2) is being served: the connection is not idle. */
    void exchangeStarted() {
        activeExchanges++;
        awaitingNextHead = false;
        requestHeadReceived();
    }

    /** HTTP/1.1: the current request has been read whole (see {@link #awaitingNextHead}). */
    void requestReadWhole() {
        awaitingNextHead = true;
    }

    /**
     * A request ended at {@code nowNanos}; {@code idleTimeoutNanos} is its service's (negative when no service was
     * found).
     */
    void exchangeEnded(long idleTimeoutNanos, long nowNanos) {
        activeExchanges--;
        awaitingNextHead = false;
        lastActivityNanos = nowNanos;
        if (headStartNanos != 0 && headTimer == null && !http2) {
            // The next head began during this exchange and its timer lapsed meanwhile: time what is left of it.
            scheduleHeadCheck(Math.max(1, context.config().requestHeadTimeout().toNanos()
                    - (lastActivityNanos - headStartNanos)));
        }
        if (idleTimeoutNanos >= 0) {
            this.idleTimeoutNanos = idleTimeoutNanos;
        }
        if (draining && activeExchanges == 0 && !http2) {
            closeAfterPendingWrites();
        }
    }

    /** The connection now speaks HTTP/2 (prior knowledge or h2c upgrade): no HTTP/1.1 head timeout any more. */
    void switchedToHttp2() {
        http2 = true;
        requestHeadReceived();
    }

    /** True once the connection has lived its maximum duration: requests in progress end it. */
    boolean draining() {
        return draining;
    }

    private void scheduleHeadCheck(long delayNanos) {
        headTimer = ctx.executor().schedule(this::headCheck, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void headCheck() {
        headTimer = null;
        if (http2 || headStartNanos == 0 || !ctx.channel().isActive()) {
            return;
        }
        long remaining = context.config().requestHeadTimeout().toNanos() - (System.nanoTime() - headStartNanos);
        if (remaining > 0) {
            // A later request's head, begun after this timer was armed: it gets its full time.
            scheduleHeadCheck(remaining);
            return;
        }
        if (activeExchanges > 0) {
            // A response is still being sent: the 408 cannot cut into it; exchangeEnded re-arms the check.
            return;
        }
        // Below the codec: the 408 goes out as bytes, the HTTP encoder never sees it.
        ByteBuf response = Unpooled.wrappedBuffer(REQUEST_TIMEOUT);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleTimer = ctx.executor().schedule(this::idleCheck, Math.max(delayNanos, 1_000_000L),
                TimeUnit.NANOSECONDS);
    }

    private void idleCheck() {
        if (!ctx.channel().isActive()) {
            return;
        }
        long idleFor = System.nanoTime() - lastActivityNanos;
        if (activeExchanges == 0 && idleFor >= idleTimeoutNanos) {
            // From the tail, so that HTTP/2's handler sends GOAWAY first.
            ctx.channel().close();
            return;
        }
        scheduleIdleCheck(activeExchanges > 0 ? idleTimeoutNanos : idleTimeoutNanos - idleFor);
    }

    private void drain() {
        draining = true;
        if (http2) {
            // From the tail: HTTP/2's handler sends GOAWAY and closes once the open streams are done.
            ctx.channel().close();
        } else if (activeExchanges == 0) {
            closeAfterPendingWrites();
        }
    }

    /** HTTP/1.1: closes once what was written before (the end of the last response) has gone out. */
    private void closeAfterPendingWrites() {
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
