package dev.trellis.gateway.fabric;

import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.ReferenceCountUtil;

/**
 * The first hop's side of one forwarded request: the owner of one {@link FabricHttp2Stream} to the peer, handing the
 * response to the {@link RemoteForward} and taking the request body from it as a {@link FabricStream}. Everything
 * runs on the stream's event loop, which is the exchange's: fabric connections are kept per event loop.
 */
final class FabricClientStream implements FabricStream, FabricHttp2Stream.Handler {

    private final RemoteForward forward;
    private final FabricConnection connection;
    private final FabricHttp2Stream stream;
    /** The request head in HTTP/2 form with the fabric headers, until it is written. */
    private Http2Headers head;
    private boolean headWritten;
    /** The head waits for the end of the loop turn (see {@link #flush()}). */
    private boolean headScheduled;
    private boolean responseEnded;
    private boolean detached;

    FabricClientStream(RemoteForward forward, FabricConnection connection, FabricHttp2 http2) {
        this.forward = forward;
        this.connection = connection;
        this.stream = http2.newStream(this);
    }

    /**
     * Builds the head (the client's headers converted once, without any {@code x-trellis-fabric-*} a client sent,
     * plus the fabric's own) and hands the stream to the exchange.
     */
    void start() {
        head = FabricHttp2.toHttp2(forward.requestHead(), true);
        connection.headerWriter().addTo(head, forward);
        forward.onFabricStream(this);
    }

    // --- FabricStream ------------------------------------------------------------------------------------------

    @Override
    public void write(HttpContent content) {
        if (detached) {
            content.release();
            return;
        }
        if (!headWritten) {
            headWritten = true;
            if (content instanceof LastHttpContent last && !last.content().isReadable()
                    && last.trailingHeaders().isEmpty()) {
                // A bodiless request: one HEADERS frame with END_STREAM, so the peer sees no body either.
                last.release();
                stream.writeHeaders(head, true);
                head = null;
                return;
            }
            stream.writeHeaders(head, false);
            head = null;
        }
        stream.write(content);
    }

    @Override
    public void flush() {
        if (detached) {
            return;
        }
        if (!headWritten) {
            // Nothing of the body yet. The exchange opens the stream while its client's head is being read, and a
            // bodiless request's end follows in the same read: held to the end of this loop turn, the head then
            // goes out with it as one HEADERS frame with END_STREAM (else a GET costs an extra empty DATA frame,
            // and the peer, seeing a body of unknown length, sends its target a chunked GET). A head whose body
            // has not come by then is sent alone, so a client that waits for the response before sending its
            // body (gRPC streaming) is not held up.
            if (!headScheduled) {
                headScheduled = true;
                stream.eventLoop().execute(this::sendHeadIfStillWaiting);
            }
            return;
        }
        stream.flush();
    }

    private void sendHeadIfStillWaiting() {
        if (!headWritten && !detached) {
            headWritten = true;
            stream.writeHeaders(head, false);
            head = null;
            stream.flush();
        }
    }

    @Override
    public boolean isWritable() {
        return stream.isWritable();
    }

    @Override
    public void readResponse(boolean read) {
        stream.read(read);
    }

    @Override
    public void responseEnded(boolean requestSentWhole) {
        if (!requestSentWhole) {
            cancel();
            return;
        }
        detached = true;
    }

    @Override
    public void cancel() {
        detached = true;
        // Resets the stream (RST_STREAM CANCEL) if it is still open; onClosed follows.
        stream.reset(Http2Error.CANCEL);
    }

    // --- from the peer ------------------------------------------------------------------------------------------

    @Override
    public void onMessage(HttpObject msg) {
        if (detached) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            HttpHeaders headers = response.headers();
            String error = headers.get(FabricHeaders.ERROR);
            if (error != null) {
                forward.remoteFailure(error.replaceAll("[^A-Za-z0-9]", ""));
            }
            FabricHeaders.strip(headers);
            // A whole response is passed on in two parts, head then content; a bodiless FullHttpResponse as the
            // head tells the exchange that the peer's HEADERS frame ended the stream (a gRPC "trailers-only"
            // answer), so it can keep it one frame for an HTTP/2 client. The head is the converted one itself.
            forward.onResponseHead(response);
            if (msg instanceof FullHttpResponse full) {
                deliver(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
            }
            return;
        }
        if (msg instanceof HttpContent content) {
            deliver(content);
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    private void deliver(HttpContent content) {
        if (detached) {
            content.release();
            return;
        }
        if (content instanceof LastHttpContent) {
            responseEnded = true;
        }
        forward.onResponseContent(content);
    }

    @Override
    public void onReadComplete() {
        if (!detached) {
            forward.onReadComplete();
        }
    }

    @Override
    public void onWritable() {
        if (!detached) {
            forward.onFabricWritable();
        }
    }

    @Override
    public void onClosed() {
        connection.streamClosed();
        if (!detached && !responseEnded) {
            detached = true;
            forward.onFabricStreamClosed(null);
        }
    }
}
