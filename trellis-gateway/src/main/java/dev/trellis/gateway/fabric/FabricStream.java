package dev.trellis.gateway.fabric;

import io.netty.handler.codec.http.HttpContent;

/**
 * One forwarded request's HTTP/2 stream to the peer gateway, as the first hop's exchange drives it. Used only on the
 * exchange's event loop.
 */
public interface FabricStream {

    /** Writes a piece of the request body (ownership passes); a {@code LastHttpContent} ends the stream's side. */
    void write(HttpContent content);

    /**
     * Sends what was written; if nothing was written yet, the request head goes out by the end of the current loop
     * turn (alone, or with the body's end if that comes first).
     */
    void flush();

    /** False while HTTP/2 flow control or the connection's buffer holds the request back. */
    boolean isWritable();

    /** Stops (false) or resumes (true) reading the response; while stopped, the peer gets no WINDOW_UPDATE. */
    void readResponse(boolean read);

    /** The response ended; resets the stream if the request was not sent whole. */
    void responseEnded(boolean requestSentWhole);

    /** Abandons the stream: resets it if still open; no more callbacks. */
    void cancel();
}
