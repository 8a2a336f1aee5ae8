package dev.trellis.gateway.fabric;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One HTTP/2 stream of a fabric connection, as the request and tunnel code sees it: HTTP/1 objects in and out
 * (a head, body pieces, an end with trailers), converted to and from HEADERS and DATA frames by {@link FabricHttp2}
 * on the connection's own pipeline. It replaces a Netty {@code Http2StreamChannel} (a child channel with its own
 * pipeline and an {@code Http2StreamFrameToHttpObjectCodec} per request), whose cost per request on both sides was
 * the largest item left in the fabric's profile (docs/benchmarks.md, "seventh run").
 *
 * <p>What the child channel gave and this keeps: {@link #read(boolean)} is its autoRead — while not reading, what
 * arrives is held here and its bytes are not consumed, so the peer gets no WINDOW_UPDATE and the stream window
 * (256 KiB) bounds what is held; {@link #isWritable()} is the stream's HTTP/2 flow-control writability (which
 * includes the connection's), with {@link Handler#onWritable()} when it returns; {@link Handler#onClosed()} comes
 * once, after anything still held has been delivered, whether the stream ended both ways, was reset by either side
 * or lost its connection. Everything runs on the connection's event loop.
 */
final class FabricHttp2Stream {

    /** What a stream tells its owner. Every call is on the connection's event loop. */
    interface Handler {
        /** The peer's head ({@code FullHttp*} when its HEADERS ended the stream), a body piece, or its end. */
        void onMessage(HttpObject message);

        /** One read of the connection delivered something to this stream, or held messages were delivered. */
        default void onReadComplete() {
        }

        /** The stream may take more bytes again. */
        default void onWritable() {
        }

        /** The stream is over: ended both ways, reset by either side, or its connection closed. */
        void onClosed();
    }

    private final FabricHttp2 connection;
    /** 0 until the client side sends its HEADERS (stream ids must go out in increasing order). */
    int id;
    private Handler handler;
    private boolean headReceived;
    private boolean reading = true;
    /** What arrived while not reading; its DATA bytes are consumed as it is delivered. */
    private ArrayDeque<HttpObject> held;
    private boolean closed;
    private boolean closeHeld;
    /** Delivering held messages now (see {@link #read(boolean)}). */
    private boolean draining;
    /** This side sent END_STREAM. */
    private boolean localEnded;
    /** The owner was told "not writable" and waits for {@link Handler#onWritable()}. */
    boolean owesWritable;
    /** Reset (by either side) or its connection lost: what is held is dropped rather than delivered. */
    boolean aborted;
    private boolean inReadBatch;

    FabricHttp2Stream(FabricHttp2 connection, int id) {
        this.connection = connection;
        this.id = id;
    }

    void handler(Handler handler) {
        this.handler = handler;
    }

    // --- writing ----------------------------------------------------------------------------------------------

    /**
     * Writes a head, a body piece or an end (ownership passes). A {@code FullHttpMessage} without content or
     * trailers is one HEADERS frame with END_STREAM; an end with trailers is a HEADERS frame with END_STREAM after
     * its DATA. Not flushed.
     */
    void write(HttpObject message) {
        if (closed) {
            ReferenceCountUtil.release(message);
            return;
        }
        if (message instanceof HttpMessage head) {
            Http2Headers headers = FabricHttp2.toHttp2(head, false);
            if (message instanceof FullHttpMessage full) {
                ByteBuf content = full.content();
                HttpHeaders trailers = full.trailingHeaders();
                if (!content.isReadable() && trailers.isEmpty()) {
                    content.release();
                    localEnded = true;
                    connection.writeHeaders(this, headers, true);
                    return;
                }
                connection.writeHeaders(this, headers, false);
                writeEnd(content, trailers);
                return;
            }
            connection.writeHeaders(this, headers, false);
            return;
        }
        if (message instanceof LastHttpContent last) {
            writeEnd(last.content(), last.trailingHeaders());
            return;
        }
        if (message instanceof HttpContent content) {
            if (content.content().isReadable()) {
                connection.writeData(this, content.content(), false);
            } else {
                content.release();
            }
            return;
        }
        ReferenceCountUtil.release(message);
    }

    /** Writes a head already in HTTP/2 form (the first hop builds the request's with the fabric headers). */
    void writeHeaders(Http2Headers headers, boolean endStream) {
        localEnded |= endStream;
        if (!closed) {
            connection.writeHeaders(this, headers, endStream);
        }
    }

    /** The connection's event loop, where every call on this stream happens. */
    EventLoop eventLoop() {
        return connection.eventLoop();
    }

    /** Writes an empty DATA frame with END_STREAM: this side is done. */
    void end() {
        writeEnd(Unpooled.EMPTY_BUFFER, null);
    }

    private void writeEnd(ByteBuf content, HttpHeaders trailers) {
        localEnded = true;
        boolean hasTrailers = trailers != null && !trailers.isEmpty();
        if (content.isReadable() || !hasTrailers) {
            connection.writeData(this, content, !hasTrailers);
        } else {
            content.release();
        }
        if (hasTrailers) {
            connection.writeHeaders(this, FabricHttp2.trailersToHttp2(trailers), true);
        }
    }

    /** Sends what was written (consolidated with the connection's other flushes by its FlushConsolidationHandler). */
    void flush() {
        connection.flush();
    }

    /** False while HTTP/2 flow control (this stream's window or the connection's) or the socket holds writes back. */
    boolean isWritable() {
        if (localEnded) {
            // This side has sent END_STREAM: nothing more will be written, so nothing is held back. (Netty's flow
            // controller reports a half-closed stream as unwritable, and would never say otherwise again.)
            return true;
        }
        boolean writable = connection.isWritable(this);
        if (!writable && !owesWritable && !closed) {
            // Remembered, so that onWritable follows however the stream becomes writable again (a window update,
            // new SETTINGS, the socket draining, or the stream being opened at last).
            owesWritable = true;
            connection.owe(this);
        }
        return writable;
    }

    /** Resets the stream ({@code RST_STREAM}); {@link Handler#onClosed()} follows. */
    void reset(Http2Error error) {
        if (closed) {
            return;
        }
        if (id == 0) {
            // Nothing was sent: there is no stream to reset on the wire.
            closed(true);
            return;
        }
        connection.reset(this, error);
    }

    boolean isClosed() {
        return closed;
    }

    // --- reading ----------------------------------------------------------------------------------------------

    /**
     * Stops (false) or resumes (true) delivering what arrives; while stopped the peer gets no WINDOW_UPDATE.
     * Resuming while a delivery is in progress (an owner's write can make its other side writable, which resumes
     * this stream from inside the delivery) only sets the flag: the delivery in progress goes on in order.
     */
    void read(boolean on) {
        reading = on;
        if (!on || draining || held == null || held.isEmpty()) {
            return;
        }
        draining = true;
        int consumed = 0;
        boolean delivered = false;
        try {
            HttpObject message;
            while (reading && (message = held.poll()) != null) {
                if (message instanceof HttpContent content) {
                    consumed += content.content().readableBytes();
                }
                delivered = true;
                deliver(message);
            }
        } finally {
            draining = false;
        }
        if (consumed > 0) {
            connection.consume(this, consumed);
            connection.flush();
        }
        if (delivered && handler != null && !closed) {
            handler.onReadComplete();
        }
        if (held.isEmpty() && closeHeld) {
            closeHeld = false;
            closed(true);
        }
    }

    /** A HEADERS frame: the head, or the trailers that end the stream. */
    void onHeaders(Http2Headers headers, boolean endStream) {
        HttpObject message;
        if (!headReceived) {
            message = connection.isServer() ? FabricHttp2.toRequest(headers, endStream)
                    : FabricHttp2.toResponse(headers, endStream);
            if (message == null) {
                // Not a request or response head (no :method/:path, no valid :status): nothing to hand on.
                reset(Http2Error.PROTOCOL_ERROR);
                return;
            }
            if (message == FabricHttp2.INFORMATIONAL) {
                // 1xx: not forwarded (as from a local target); the final head follows.
                return;
            }
            headReceived = true;
        } else if (endStream) {
            message = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, FabricHttp2.toTrailers(headers));
        } else {
            reset(Http2Error.PROTOCOL_ERROR);
            return;
        }
        arrived(message);
    }

    /** A DATA frame (not yet retained); returns the bytes consumed now (the rest when delivered later). */
    int onData(ByteBuf data, boolean endStream) {
        int bytes = data.readableBytes();
        if (handler == null || closed || !headReceived) {
            return bytes;
        }
        // An empty DATA frame (a response's end after its head) carries nothing worth keeping its read buffer for.
        HttpContent content = bytes == 0 ? (endStream ? LastHttpContent.EMPTY_LAST_CONTENT
                : new DefaultHttpContent(Unpooled.EMPTY_BUFFER))
                : endStream ? new DefaultLastHttpContent(data.retain()) : new DefaultHttpContent(data.retain());
        return arrived(content) ? bytes : 0;
    }

    /** Delivers now or holds; true when delivered. */
    private boolean arrived(HttpObject message) {
        if (reading && !draining && (held == null || held.isEmpty())) {
            deliver(message);
            if (!inReadBatch) {
                inReadBatch = true;
                connection.readThisTurn(this);
            }
            return true;
        }
        if (held == null) {
            held = new ArrayDeque<>(4);
        }
        held.add(message);
        return false;
    }

    private void deliver(HttpObject message) {
        if (handler == null || closed) {
            ReferenceCountUtil.release(message);
            return;
        }
        handler.onMessage(message);
    }

    /** The connection read this stream's messages and is done with its read. */
    void readComplete() {
        inReadBatch = false;
        if (handler != null && !closed) {
            handler.onReadComplete();
        }
    }

    /** Netty's flow controller (or {@link FabricHttp2#checkOwed()}) saw this stream's writability change. */
    void writabilityChanged() {
        if (handler != null && !closed && connection.isWritable(this)) {
            owesWritable = false;
            handler.onWritable();
        }
    }

    /** The stream closed on the wire (or never opened): tell the owner once, after what is still held. */
    void closed(boolean evenIfHeld) {
        if (closed) {
            return;
        }
        if (!evenIfHeld && !aborted && held != null && !held.isEmpty()) {
            // A paused reader still has the stream's last messages to take (e.g. the response's end).
            closeHeld = true;
            return;
        }
        closed = true;
        if (held != null) {
            HttpObject message;
            while ((message = held.poll()) != null) {
                ReferenceCountUtil.release(message);
            }
        }
        if (handler != null) {
            handler.onClosed();
        }
    }

    @Override
    public String toString() {
        return "FabricHttp2Stream[" + id + (closed ? ", closed" : "") + "]";
    }
}
