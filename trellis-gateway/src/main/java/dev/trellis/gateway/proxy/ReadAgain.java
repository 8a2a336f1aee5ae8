package dev.trellis.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;

/** Reading switched back on after a pause (backpressure, a connection being made), the one way for every channel. */
public final class ReadAgain {

    private ReadAgain() {
    }

    /**
     * Turns {@code channel}'s reading back on. An HTTP/2 stream channel then returns the bytes it consumed to its
     * peer (a WINDOW_UPDATE), which Netty leaves unflushed while the stream's connection reads, for the read's end to
     * flush. On io_uring that end can come only with bytes the peer will not send until it has that update, so the
     * connection is flushed here (trellis-gateway/DESIGN.md "io_uring", change 1).
     */
    public static void of(Channel channel) {
        channel.config().setAutoRead(true);
        if (channel instanceof Http2StreamChannel) {
            channel.parent().flush();
        }
    }
}
