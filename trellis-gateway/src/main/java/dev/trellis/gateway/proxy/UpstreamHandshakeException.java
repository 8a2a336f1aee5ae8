package dev.trellis.gateway.proxy;

/** The TLS handshake with a target failed (or it did not agree to HTTP/2): nothing of the request was sent. */
public final class UpstreamHandshakeException extends Exception {

    UpstreamHandshakeException(Throwable cause) {
        super("the TLS handshake with the target failed: " + cause.getMessage(), cause);
    }
}
