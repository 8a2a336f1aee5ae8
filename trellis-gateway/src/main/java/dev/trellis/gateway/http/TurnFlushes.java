package dev.trellis.gateway.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Holds a multiplexed connection's flushes until the end of the event loop's turn: every flush of the turn, from
 * any stream, goes out as one write (and, under TLS, as one wrap into records of up to 16 KiB) instead of one each.
 *
 * <p>For the connections that carry many requests at once: the fabric's, both ends, and HTTP/2 client connections.
 * Their streams flush while <em>other</em> connections read (the first hop writes a request as its client's
 * arrives, the receiving side a response as its target's does), so many flushes fall in one turn. The first flush
 * of a turn puts one task on the loop's queue, which Netty runs after the turn's I/O; it flushes what the turn
 * wrote. A connection whose flushes pile up past {@link #MAX_HELD} flushes at once.
 *
 * <p>Unlike Netty's {@code FlushConsolidationHandler} it does not look at reads: nothing waits past the turn it
 * was flushed in, not even for the end of a read, which on io_uring can come loop turns after its data. An HTTP/1.1
 * client connection, with one response at a time, keeps {@code FlushConsolidationHandler} for its reads only
 * ({@link GatewayChannelInitializer#flushes}).
 */
public final class TurnFlushes extends ChannelDuplexHandler {

    /** Flushes held at most before one goes out anyway (a turn of many small frames on one connection). */
    static final int MAX_HELD = 256;

    private ChannelHandlerContext ctx;
    private int held;
    private boolean scheduled;
    private final Runnable endOfTurn = this::flushHeld;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (++held >= MAX_HELD) {
            flushHeld();
        } else if (!scheduled) {
            scheduled = true;
            ctx.channel().eventLoop().execute(endOfTurn);
        }
    }

    private void flushHeld() {
        scheduled = false;
        if (held > 0) {
            held = 0;
            ctx.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Not writable: what is held must go out for the buffer to drain and writability to come back.
        if (!ctx.channel().isWritable()) {
            flushHeld();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        flushHeld();
        ctx.close(promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        flushHeld();
        ctx.disconnect(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        flushHeld();
    }
}
