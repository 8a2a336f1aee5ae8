package dev.trellis.gateway.fabric;

import io.netty.buffer.ByteBuf;

/**
 * The first hop's handle on an open TCP tunnel (one HTTP/2 stream to the peer gateway). Used only on the client
 * connection's event loop.
 */
public interface FabricTunnel {

    /** Writes bytes from the client towards the target (ownership passes); {@link #flush()} sends them. */
    void write(ByteBuf data);

    void flush();

    /** False while HTTP/2 flow control or the fabric connection's buffer holds the client's bytes back. */
    boolean isWritable();

    /** Stops (false) or resumes (true) reading the target's bytes; while stopped the peer gets no WINDOW_UPDATE. */
    void read(boolean read);

    /** The client closed its side: ends the stream (END_STREAM); the peer closes the target connection. */
    void end();

    /** Abandons the tunnel: resets the stream; no more callbacks. */
    void cancel();
}
