package dev.trellis.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;

/**
 * One HTTP/1.1 connection from the gateway to a target, serving one exchange at a time and pooled between them by
 * its event loop's {@link UpstreamPool}. It is the last handler of the connection's pipeline (after the
 * {@code HttpClientCodec}) and hands what it reads to the attached {@link UpstreamListener}.
 */
public final class UpstreamConnection extends ChannelInboundHandlerAdapter {

    private final UpstreamPool pool;
    private final InetSocketAddress target;
    private Channel channel;
    private UpstreamListener listener;
    private boolean reused;
    private ScheduledFuture<?> idleClose;

    UpstreamConnection(UpstreamPool pool, InetSocketAddress target) {
        this.pool = pool;
        this.target = target;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    public Channel channel() {
        return channel;
    }

    public InetSocketAddress target() {
        return target;
    }

    /** True when this connection served an earlier exchange (a stale keep-alive connection may fail at once). */
    public boolean reused() {
        return reused;
    }

    /** Serves {@code listener} from now until {@link #release}. */
    public void attach(UpstreamListener listener) {
        this.listener = listener;
        if (idleClose != null) {
            idleClose.cancel(false);
            idleClose = null;
        }
    }

    /**
     * Ends the current exchange: back to the pool when {@code reusable} (the response ended cleanly, the request was
     * sent whole, both sides allow keep-alive), closed otherwise.
     */
    public void release(boolean reusable) {
        listener = null;
        channel.config().setAutoRead(true);
        if (reusable && channel.isActive()) {
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

    void idleClose(ScheduledFuture<?> timer) {
        this.idleClose = timer;
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
        if (msg instanceof HttpResponse response) {
            current.onResponseHead(response);
        }
        if (msg instanceof HttpContent content) {
            current.onResponseContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
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
        if (idleClose != null) {
            idleClose.cancel(false);
        }
        pool.forget(this);
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
        return "UpstreamConnection[" + target + (reused ? ", reused" : "") + "]";
    }
}
