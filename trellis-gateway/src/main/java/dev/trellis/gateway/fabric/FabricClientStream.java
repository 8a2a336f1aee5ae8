package dev.trellis.gateway.fabric;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first hop's side of one forwarded request: the last handler of an HTTP/2 stream channel to the peer (after
 * {@code Http2StreamFrameToHttpObjectCodec}), handing the response to the {@link RemoteForward} and taking the
 * request body from it as a {@link FabricStream}. Everything runs on the stream's event loop, which is the
 * exchange's: fabric connections are kept per event loop.
 */
final class FabricClientStream extends ChannelInboundHandlerAdapter implements FabricStream {

    private static final Logger log = LoggerFactory.getLogger(FabricClientStream.class);

    private final RemoteForward forward;
    private final FabricConnection connection;
    private HttpRequest head;
    private Channel channel;
    private boolean headWritten;
    /** The head waits for the end of the loop turn (see {@link #flush()}). */
    private boolean headScheduled;
    private boolean responseEnded;
    private boolean detached;
    private boolean added;

    FabricClientStream(RemoteForward forward, FabricConnection connection) {
        this.forward = forward;
        this.connection = connection;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        added = true;
    }

    /** Whether this handler joined a stream channel's pipeline (whose closing then counts the stream out). */
    boolean added() {
        return added;
    }

    /** The stream is open: build the head with the fabric headers and hand the stream to the exchange. */
    void start(Channel stream) {
        this.channel = stream;
        head = forward.requestHead();
        FabricHeaders.addTo(head.headers(), forward);
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
                channel.write(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, head.method(), head.uri(),
                        Unpooled.EMPTY_BUFFER, head.headers(), EmptyHttpHeaders.INSTANCE))
                        .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                return;
            }
            channel.write(head).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
        channel.write(content).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
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
                channel.eventLoop().execute(this::sendHeadIfStillWaiting);
            }
            return;
        }
        channel.flush();
    }

    private void sendHeadIfStillWaiting() {
        if (!headWritten && !detached) {
            headWritten = true;
            channel.writeAndFlush(head).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void readResponse(boolean read) {
        channel.config().setAutoRead(read);
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
        if (channel != null && channel.isOpen()) {
            // Closing a stream channel that is still open resets the stream (RST_STREAM CANCEL).
            channel.close();
        }
    }

    // --- from the peer ------------------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (detached) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            HttpHeaders headers = response.headers();
            FabricHeaders.stripHttp2Conversion(headers);
            String error = headers.get(FabricHeaders.ERROR);
            if (error != null) {
                forward.remoteFailure(error.replaceAll("[^A-Za-z0-9]", ""));
            }
            FabricHeaders.strip(headers);
            // A whole response is passed on in two parts, head then content; a bodiless FullHttpResponse as the
            // head tells the exchange that the peer's HEADERS frame ended the stream (a gRPC "trailers-only"
            // answer), so it can keep it one frame for an HTTP/2 client.
            forward.onResponseHead(msg instanceof FullHttpResponse
                    ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(), Unpooled.EMPTY_BUFFER,
                            headers, EmptyHttpHeaders.INSTANCE)
                    : new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status(), headers));
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
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!detached) {
            forward.onReadComplete();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!detached && ctx.channel().isWritable()) {
            forward.onFabricWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        connection.streamClosed();
        if (!detached && !responseEnded) {
            detached = true;
            forward.onFabricStreamClosed(null);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: fabric stream failed: {}", forward.requestId(), cause.toString());
        ctx.close();
    }
}
