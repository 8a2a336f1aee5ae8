package dev.trellis.gateway.proxy;


import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The few header rules that depend on the {@link UpstreamTransport}, shared by local exchanges and by the fabric's
 * receiving side so both treat a target the same way.
 */
public final class UpstreamHeads {

    private UpstreamHeads() {
    }

    /** True when the client said it accepts trailers ({@code TE: trailers}); ask before hop-by-hop headers go. */
    public static boolean acceptsTrailers(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.TE)) {
            return false;
        }
        for (String value : headers.getAll(HttpHeaderNames.TE)) {
            for (String part : value.split(",")) {
                String coding = part.trim();
                int params = coding.indexOf(';');
                if ((params < 0 ? coding : coding.substring(0, params).trim())
                        .equalsIgnoreCase(HttpHeaderValues.TRAILERS.toString())) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Sets {@code TE: trailers} towards an HTTP/2 target when the client accepts trailers or the group is gRPC (a
     * gRPC server expects it from its client, which the gateway is; RFC 9113 §8.2.2 allows exactly this value).
     * Over HTTP/1.1 {@code TE} stays removed, as every hop-by-hop header.
     */
    public static void setTrailersAccepted(HttpHeaders headers, UpstreamTransport transport, boolean clientAccepts,
                                           boolean grpc) {
        if (transport.http2() && (clientAccepts || grpc)) {
            headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
    }

    /**
     * A response head joined with its end into one message: a head the target ended at once (an HTTP/2 HEADERS frame
     * with END_STREAM: a gRPC "trailers-only" answer), which must leave as one frame too (split in two, an HTTP/2
     * client sees a response without trailers), or a whole response that arrived in one read (one write, and the
     * encoder puts a small body in the head's buffer).
     */
    public static FullHttpResponse joinedWithEnd(HttpResponse head, LastHttpContent end) {
        return new DefaultFullHttpResponse(head.protocolVersion(), head.status(), end.content(), head.headers(),
                end.trailingHeaders());
    }

    /**
     * A request head for a target joined with its end into one message (one encoder pass, one write; for an HTTP/2
     * target, a bodiless request is one HEADERS frame with END_STREAM). {@code end}'s content is the message's now.
     */
    public static FullHttpRequest joinedWithEnd(HttpRequest head, LastHttpContent end) {
        return new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(), end.content(),
                head.headers(), end.trailingHeaders());
    }

    /** Removes Netty's {@code x-http2-*} conversion headers (stream id, scheme) from a target's response head. */
    public static void removeConversionHeaders(HttpHeaders headers) {
        // Allocates only when there is something to remove (responses from HTTP/2 targets).
        HeaderNames.removeIf(headers, HeaderNames::isHttp2Conversion);
    }
}
