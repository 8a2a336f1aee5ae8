package dev.trellis.gateway.passthrough;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;

/**
 * The fatal TLS alerts a passthrough listener sends, in plaintext, before any byte of the target's handshake: the
 * client's TLS library then reports a clear reason ("Received fatal alert: access_denied") instead of a bare
 * connection reset. RFC 8446 §6: a record of type alert(21), legacy version 3.3, level fatal(2), a description.
 */
enum TlsAlert {
    /** No SNI, or a name no TLS_PASSTHROUGH listener of this port serves (RFC 6066 §3). */
    UNRECOGNIZED_NAME(112),
    /** An auth policy refused the anonymous Connect. */
    ACCESS_DENIED(49),
    /** The gateway could not reach a target (no targets, connect failed, the fabric failed). */
    INTERNAL_ERROR(80);

    private final byte[] record;

    TlsAlert(int description) {
        this.record = new byte[] {21, 3, 3, 0, 2, 2, (byte) description};
    }

    /** Writes the alert and closes once it is out. */
    void sendAndClose(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(record)).addListener(ChannelFutureListener.CLOSE);
    }
}
