package dev.trellis.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;

/**
 * What an exchange talks to a target through: an HTTP/1.1 connection (cleartext or TLS), serving one exchange at a
 * time and pooled between them by its event loop's {@link UpstreamPool}, or one stream of an HTTP/2 connection
 * ({@link Http2Upstream}), used once. Either way it is the last handler of its channel's pipeline (after the
 * {@link Http1TargetCodec}, or the stream's {@code Http2StreamFrameToHttpObjectCodec}), takes {@code HttpRequest}
 * and {@code HttpContent} writes, and hands what it reads to the attached {@link UpstreamListener} as an
 * {@code HttpResponse} head and {@code HttpContent}s, the last one carrying the target's trailers if any.
 */
public final class UpstreamConnection extends ChannelInboundHandlerAdapter {

    private final UpstreamPool pool;
    private final UpstreamPool.Key key;
    /** The HTTP/2 connection this stream belongs to; null for an HTTP/1.1 connection. */
    private final Http2Upstream http2;
    private Channel channel;
    /** The HTTP/1.1 connection's codec, whose clock read of a read the exchange shares; null for an HTTP/2 stream. */
    private Http1TargetCodec codec;
    private UpstreamListener listener;
    private boolean reused;
    /** When this connection was last given back to the pool ({@link UpstreamPool} closes it after the timeout). */
    private long idleSinceNanos;

    UpstreamConnection(UpstreamPool pool, UpstreamPool.Key key, Http2Upstream http2, boolean reused) {
        this.pool = pool;
        this.key = key;
        this.http2 = http2;
        this.reused = reused;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        codec = ctx.pipeline().get(Http1TargetCodec.class);
    }

    /**
     * Now ({@code System.nanoTime}): during a read from the target, the time it arrived, read once for the head,
     * the end and the release it delivers; otherwise a fresh clock read.
     */
    public long nanoTime() {
        long read = codec == null ? 0 : codec.readNanos();
        return read != 0 ? read : System.nanoTime();
    }

    public Channel channel() {
        return channel;
    }

    public InetSocketAddress target() {
        return key.address();
    }

    UpstreamPool.Key key() {
        return key;
    }

    /** True when this is a stream of an HTTP/2 connection (the request head goes out as HEADERS). */
    public boolean http2() {
        return http2 != null;
    }

    /**
     * True when this connection served an earlier exchange (a stale keep-alive connection may fail at once); for
     * an HTTP/2 stream, when its connection carried earlier streams.
     */
    public boolean reused() {
        return reused;
    }

    /** Reads from the target again after backpressure turned reading off ({@link ReadAgain}). */
    public void readAgain() {
        ReadAgain.of(channel);
    }

    /** Serves {@code listener} from now until {@link #release}. */
    public void attach(UpstreamListener listener) {
        this.listener = listener;
    }

    /**
     * Ends the current exchange: back to the pool when {@code reusable} (the response ended cleanly, the request was
     * sent whole, both sides allow keep-alive), closed otherwise. An HTTP/2 stream is always closed: when both
     * sides ended it that sends nothing, otherwise RST_STREAM(CANCEL).
     */
    public void release(boolean reusable) {
        listener = null;
        if (!channel.config().isAutoRead()) {
            // Only after backpressure turned it off; otherwise it would be an atomic swap for nothing.
            channel.config().setAutoRead(true);
        }
        if (reusable && channel.isActive() && http2 == null) {
            reused = true;
            pool.giveBack(this);
        } else {
            channel.close();
        }
    }

    /** Closes the connection without telling the listener (the exchange already knows why). */
    public void abort() {
        listener = null;
        channel.close();
    }

    void idleSince(long nanos) {
        this.idleSinceNanos = nanos;
    }

    long idleSince() {
        return idleSinceNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamListener current = listener;
        if (current == null) {
            // Nothing was asked: a target talking on an idle connection is out of step; never reuse it.
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        if (HttpTypes.isFullResponse(msg)) {
            FullHttpResponse full = (FullHttpResponse) msg;
            // An HTTP/2 response that ended with its HEADERS frame (e.g. a gRPC "trailers-only" answer). The
            // listener gets a bodiless FullHttpResponse as the head, which tells it the head ends the response,
            // then the content as usual.
            current.onResponseHead(new DefaultFullHttpResponse(full.protocolVersion(), full.status(),
                    Unpooled.EMPTY_BUFFER, full.headers(), EmptyHttpHeaders.INSTANCE));
            if (listener == current) {
                current.onResponseContent(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
            } else {
                full.release();
            }
            return;
        }
        if (HttpTypes.isResponse(msg)) {
            current.onResponseHead((HttpResponse) msg);
        }
        if (HttpTypes.isContent(msg)) {
            current.onResponseContent((HttpContent) msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamListener current = listener;
        if (current != null) {
            current.onReadComplete();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (listener != null && ctx.channel().isWritable()) {
            listener.onUpstreamWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener current = listener;
        listener = null;
        if (http2 != null) {
            http2.streamClosed();
        } else {
            pool.forget(this);
        }
        if (current != null) {
            current.onUpstreamClosed(null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamListener current = listener;
        listener = null;
        ctx.close();
        if (current != null) {
            current.onUpstreamClosed(cause);
        }
    }

    @Override
    public String toString() {
        return "UpstreamConnection[" + key.address() + " " + key.transport() + (reused ? ", reused" : "") + "]";
    }
}
