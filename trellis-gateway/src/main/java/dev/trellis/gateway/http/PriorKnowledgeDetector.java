package dev.trellis.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;

/**
 * The first bytes of a cleartext connection: the HTTP/2 connection preface (prior knowledge, RFC 9113 3.3) switches
 * it to HTTP/2 at once; anything else leaves it HTTP/1.1 (where an {@code Upgrade: h2c} may still switch it). Netty's
 * {@code CleartextHttp2ServerUpgradeHandler} does this for its own {@code HttpServerCodec} only; this one takes the
 * gateway's {@link ClientHttp1Codec}. When HTTP/2 starts, {@link #STARTED} goes up the pipeline.
 */
final class PriorKnowledgeDetector extends ByteToMessageDecoder {

    /** The event fired when the connection preface arrived and the connection speaks HTTP/2 from now on. */
    static final Object STARTED = new Object() {
        @Override
        public String toString() {
            return "HTTP/2 with prior knowledge";
        }
    };

    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf().asReadOnly();

    private final ClientHttp1Codec http1;
    private final HttpServerUpgradeHandler upgrade;
    private final ChannelHandler http2;

    PriorKnowledgeDetector(ClientHttp1Codec http1, HttpServerUpgradeHandler upgrade, ChannelHandler http2) {
        this.http1 = http1;
        this.upgrade = upgrade;
        this.http2 = http2;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.pipeline().addAfter(ctx.name(), null, upgrade).addAfter(ctx.name(), null, http1);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int length = Math.min(in.readableBytes(), PREFACE.readableBytes());
        if (!ByteBufUtil.equals(PREFACE, PREFACE.readerIndex(), in, in.readerIndex(), length)) {
            // Not the preface: HTTP/1.1. Removing this decoder hands what it holds to the codec.
            ctx.pipeline().remove(this);
        } else if (length == PREFACE.readableBytes()) {
            ctx.pipeline().remove(http1).remove(upgrade);
            ctx.pipeline().addAfter(ctx.name(), null, http2);
            ctx.pipeline().remove(this);
            ctx.fireUserEventTriggered(STARTED);
        }
    }
}
