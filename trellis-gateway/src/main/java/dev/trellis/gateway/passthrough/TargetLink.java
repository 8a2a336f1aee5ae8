package dev.trellis.gateway.passthrough;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only handler of a spliced target connection: it hands the target's bytes, its writability and its end to the
 * other side of the splice (the client connection, or a fabric stream). Not sharable: one per target connection.
 */
public final class TargetLink extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TargetLink.class);

    /** The other side of the splice. Called on the target connection's event loop. */
    public interface Peer {
        /** Bytes from the target; the callee owns them. */
        void fromTarget(ByteBuf data);

        /** The target connection can take more bytes again, or cannot for now. */
        void targetWritabilityChanged(boolean writable);

        /** The target connection closed (either side closed it, or it failed). */
        void targetClosed();
    }

    private final Peer peer;

    public TargetLink(Peer peer) {
        this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf data) {
            peer.fromTarget(data);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        peer.targetWritabilityChanged(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        peer.targetClosed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("target connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
