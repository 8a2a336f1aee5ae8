package dev.trellis.gateway.proxy;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

/**
 * The exchange an {@link UpstreamConnection} currently serves. Every call happens on the connection's event loop,
 * which is also the client connection's: the two sides of a proxied request never cross threads.
 */
public interface UpstreamListener {

    /** The target's response head (informational 1xx responses included). The listener owns nothing to release. */
    void onResponseHead(HttpResponse response);

    /** A piece of the response body; the listener owns (and must write or release) it. */
    void onResponseContent(HttpContent content);

    /**
     * The connection has passed on everything one read brought. The listener flushes what it wrote to its client
     * since then: one write per read, at once, instead of one per message or one deferred to the end of the
     * event loop's turn.
     */
    default void onReadComplete() {
    }

    /** The connection can take more request bytes again (it had filled its outbound buffer). */
    void onUpstreamWritable();

    /** The connection closed (or failed) while serving this exchange. */
    void onUpstreamClosed(Throwable cause);
}
