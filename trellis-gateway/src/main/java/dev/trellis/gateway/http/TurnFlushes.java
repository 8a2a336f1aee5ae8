package dev.trellis.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.util.Arrays;

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
 *
 * <p>It also joins the turn's small writes (an HTTP/2 frame's header, a HEADERS frame, a small DATA frame) into one
 * buffer that goes on as one write with one promise, which completes theirs. Each write had been an entry of its own
 * in {@code SslHandler}'s queue and the channel's outbound buffer, with a listener on its promise: about 0.3 µs a
 * write, three writes per request across the fabric. A larger write, or joined bytes past {@link #JOINED_LIMIT}, sends
 * what was joined first, so the order stays and the channel's writability sees the bytes soon.
 */
public final class TurnFlushes extends ChannelDuplexHandler {

    /** Flushes held at most before one goes out anyway (a turn of many small frames on one connection). */
    static final int MAX_HELD = 256;
    /** Writes up to this size are joined. */
    static final int JOINED_WRITE = 1024;
    /** Joined bytes past this go on at once (unflushed), so writability counts them. */
    static final int JOINED_LIMIT = 16 * 1024;

    private ChannelHandlerContext ctx;
    private int held;
    private boolean scheduled;
    private final Runnable endOfTurn = this::flushHeld;
    private ByteBuf joined;
    private ChannelPromise[] joinedPromises = new ChannelPromise[8];
    private int joinedCount;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf) || buf.readableBytes() > JOINED_WRITE) {
            writeJoined();
            ctx.write(msg, promise);
            return;
        }
        if (joined == null) {
            joined = ctx.alloc().directBuffer(JOINED_WRITE * 2);
            endOfTurnSoon();
        }
        joined.writeBytes(buf);
        buf.release();
        if (!promise.isVoid()) {
            if (joinedCount == joinedPromises.length) {
                joinedPromises = Arrays.copyOf(joinedPromises, joinedCount * 2);
            }
            joinedPromises[joinedCount++] = promise;
        }
        if (joined.readableBytes() >= JOINED_LIMIT) {
            writeJoined();
        }
    }

    /** Passes what was joined on as one write. */
    private void writeJoined() {
        ByteBuf out = joined;
        if (out == null) {
            return;
        }
        joined = null;
        int count = joinedCount;
        joinedCount = 0;
        if (count == 0) {
            ctx.write(out, ctx.voidPromise());
        } else if (count == 1) {
            ctx.write(out, joinedPromises[0]);
            joinedPromises[0] = null;
        } else {
            ChannelPromise[] promises = Arrays.copyOf(joinedPromises, count);
            Arrays.fill(joinedPromises, 0, count, null);
            ctx.write(out).addListener(new Completes(promises));
        }
    }

    /** Completes the promises of joined writes as their one write completed. */
    private record Completes(ChannelPromise[] promises) implements ChannelFutureListener {
        @Override
        public void operationComplete(ChannelFuture written) {
            Throwable cause = written.cause();
            for (ChannelPromise promise : promises) {
                if (cause == null) {
                    promise.trySuccess();
                } else {
                    promise.tryFailure(cause);
                }
            }
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (++held >= MAX_HELD) {
            flushHeld();
        } else {
            endOfTurnSoon();
        }
    }

    private void endOfTurnSoon() {
        if (!scheduled) {
            scheduled = true;
            ctx.channel().eventLoop().execute(endOfTurn);
        }
    }

    /** Passes on what the turn joined (nothing outlives its turn here) and flushes when the turn flushed. */
    private void flushHeld() {
        scheduled = false;
        writeJoined();
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
