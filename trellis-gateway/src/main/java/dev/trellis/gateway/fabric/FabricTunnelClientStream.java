package dev.trellis.gateway.fabric;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;

/**
 * The first hop's side of a TCP tunnel: the owner of one {@link FabricHttp2Stream} to the peer gateway. The request head
 * names the target group and carries the routing decision ({@link FabricHeaders}, plus {@code x-trellis-fabric-
 * tunnel: tcp}); the peer answers 200 once it has connected to a target, and from then on DATA frames carry the
 * client's bytes one way and the target's the other. END_STREAM is a side's end; a reset is a failure. Pausing the
 * stream's reads is HTTP/2 flow control towards the peer, its writability flow control from it.
 */
final class FabricTunnelClientStream implements FabricTunnel, FabricHttp2Stream.Handler {

    private final TunnelRequest tunnel;
    private final FabricConnection connection;
    private final FabricHttp2Stream stream;
    private boolean open;
    private boolean detached;
    private boolean ended;

    FabricTunnelClientStream(TunnelRequest tunnel, FabricConnection connection, FabricHttp2 http2) {
        this.tunnel = tunnel;
        this.connection = connection;
        this.stream = http2.newStream(this);
    }

    /** Asks the peer for the tunnel on a new stream. */
    void start() {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/");
        HttpHeaders headers = head.headers();
        headers.set(HttpHeaderNames.HOST, FabricTls.gatewayName(tunnel.targetGroup().vpcId()));
        connection.headerWriter().addTo(headers, tunnel);
        stream.write(head);
        stream.flush();
    }

    // --- FabricTunnel ------------------------------------------------------------------------------------------

    @Override
    public void write(ByteBuf data) {
        if (detached || ended) {
            data.release();
            return;
        }
        stream.write(new DefaultHttpContent(data));
    }

    @Override
    public void flush() {
        if (!detached) {
            stream.flush();
        }
    }

    @Override
    public boolean isWritable() {
        return stream.isWritable();
    }

    @Override
    public void read(boolean read) {
        stream.read(read);
    }

    @Override
    public void end() {
        if (detached || ended) {
            return;
        }
        ended = true;
        stream.end();
        stream.flush();
    }

    @Override
    public void cancel() {
        detached = true;
        // Resets the stream (RST_STREAM CANCEL) if it is still open.
        stream.reset(Http2Error.CANCEL);
    }

    // --- from the peer -----------------------------------------------------------------------------------------

    @Override
    public void onMessage(HttpObject msg) {
        if (detached) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response && !open) {
            if (!response.status().equals(HttpResponseStatus.OK)) {
                // The peer refused (unknown group, no targets, target unreachable): its reason, for the access log.
                String reason = response.headers().get(FabricHeaders.ERROR, "FabricTunnelRefused");
                ReferenceCountUtil.release(msg);
                detached = true;
                tunnel.onTunnelFailed(reason, "the gateway of " + tunnel.targetGroup().vpcId() + " refused the"
                        + " tunnel: " + response.status());
                stream.reset(Http2Error.CANCEL);
                return;
            }
            open = true;
            tunnel.onTunnelOpen(this, response.headers().get(FabricHeaders.TARGET));
        }
        if (msg instanceof HttpContent content) {
            if (!open) {
                content.release();
                return;
            }
            ByteBuf data = content.content();
            if (data.isReadable()) {
                tunnel.onTunnelData(data);
            } else {
                data.release();
            }
            if (content instanceof LastHttpContent) {
                // The target closed: tell the client side, and end ours so the stream closes.
                detached = true;
                tunnel.onTunnelEnd();
                if (!ended) {
                    ended = true;
                    stream.end();
                    stream.flush();
                }
            }
            return;
        }
        if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void onWritable() {
        if (open && !detached) {
            tunnel.onTunnelWritable();
        }
    }

    @Override
    public void onClosed() {
        connection.streamClosed();
        if (!detached) {
            detached = true;
            tunnel.onTunnelFailed("FabricConnectionError",
                    "the fabric stream to the gateway of " + tunnel.targetGroup().vpcId() + " closed");
        }
    }
}
