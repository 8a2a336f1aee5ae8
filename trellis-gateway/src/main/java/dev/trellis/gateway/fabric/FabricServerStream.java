package dev.trellis.gateway.fabric;

import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.http.LatticeHeaders;
import dev.trellis.gateway.proxy.TargetRequestHeaders;
import dev.trellis.gateway.proxy.UpstreamConnection;
import dev.trellis.gateway.proxy.UpstreamHandshakeException;
import dev.trellis.gateway.proxy.UpstreamHeads;
import dev.trellis.gateway.proxy.UpstreamListener;
import dev.trellis.gateway.proxy.UpstreamTransport;
import dev.trellis.gateway.target.PoolTarget;
import dev.trellis.gateway.target.TargetPool;
import dev.trellis.model.snapshot.TargetGroupEntry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving gateway's side of one forwarded request (one HTTP/2 stream from a peer gateway): it reads the
 * routing decision from the {@link FabricHeaders}, looks the target group up in this gateway's current snapshot,
 * picks a target with the group's {@link TargetPool} (round robin, fail-open), adds the target-side headers of facts
 * §2 for the original caller, and proxies over this event loop's pooled target connections, streaming both ways:
 * the stream's autoRead follows the target connection's writability (HTTP/2 flow control towards the peer), and the
 * target connection's autoRead follows the stream's writability.
 *
 * <p>Answers it makes itself carry {@code x-trellis-fabric-error: <reason>}: 400 {@code FabricBadRequest} (headers
 * missing or the source VPC is not the peer's), 502 {@code UnknownTargetGroup}, 502 {@code TargetGroupNotSupported},
 * 503 {@code NoTargets}, 502 {@code TargetConnectionFailed}/{@code TargetConnectionError}, 504
 * {@code TargetTimeout}. Retries follow the local path: a refused connect once on another target; a reused
 * connection closed before any response byte once, for a bodiless idempotent request.
 */
final class FabricServerStream implements FabricHttp2Stream.Handler, UpstreamListener {

    private static final Logger log = LoggerFactory.getLogger(FabricServerStream.class);

    private final FabricServer server;
    private final FabricRequest.Reader reader;
    private final FabricHttp2Stream stream;

    private FabricRequest fabric;
    private HttpRequest request;
    private HttpRequest upstreamHead;
    private TargetGroupEntry group;
    private TargetPool pool;
    private PoolTarget target;
    private final ArrayDeque<HttpContent> pending = new ArrayDeque<>();

    private boolean started;
    private boolean requestComplete;
    /** Request body written to the target and not flushed yet (see {@link #onReadComplete}). */
    private boolean upstreamFlushPending;
    private boolean requestFullySent;
    private long requestBodyBytes;
    private UpstreamConnection upstream;
    private UpstreamTransport transport;
    /** A response head that ended the target's response, sent with its end as one HEADERS frame. */
    private HttpResponse headEndingResponse;
    /**
     * A response head not written yet: it waits for the rest of the target's read, so that a response whose end
     * came in that read leaves as one message (one encoder pass; for HTTP/2 one write), as the first hop's
     * {@code Exchange} does. Written before any body piece, at the end of the read, and before a reset.
     */
    private HttpResponse unwrittenHead;
    private boolean upstreamReady;
    private boolean upstreamKeepAlive;
    private boolean connectionWasReused;
    private boolean retriedConnect;
    private boolean retriedStale;
    private boolean skippingInformational;
    private boolean responseStarted;
    private boolean finished;
    private ScheduledFuture<?> idleTimer;
    private long lastActivityNanos = System.nanoTime();

    FabricServerStream(FabricServer server, FabricRequest.Reader reader, FabricHttp2Stream stream) {
        this.server = server;
        this.reader = reader;
        this.stream = stream;
    }

    @Override
    public void onMessage(HttpObject msg) {
        if (msg instanceof HttpRequest head && !started) {
            started = true;
            HttpContent body = msg instanceof FullHttpRequest full
                    ? new DefaultLastHttpContent(full.content(), full.trailingHeaders()) : null;
            start(head, body);
            return;
        }
        if (msg instanceof HttpContent content) {
            onRequestContent(content);
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    // --- the request -------------------------------------------------------------------------------------------

    private void start(HttpRequest head, HttpContent body) {
        this.request = head;
        if (body != null) {
            requestComplete = true;
            requestBodyBytes = body.content().readableBytes();
            pending.add(body);
        }
        if (FabricTunnelServerStream.isTunnel(head) && !head.decoderResult().isFailure()) {
            // TLS passthrough across VPCs: the stream carries a TCP connection, not a request.
            FabricTunnelServerStream tunnel = new FabricTunnelServerStream(server, reader, stream);
            pending.clear();
            stream.handler(tunnel);
            tunnel.start(head, body);
            return;
        }
        if (head.decoderResult().isFailure()) {
            answer(HttpResponseStatus.BAD_REQUEST, "BadRequest", "Bad Request: "
                    + head.decoderResult().cause().getMessage());
            return;
        }
        try {
            fabric = reader.read(head.headers());
        } catch (IllegalArgumentException e) {
            answer(HttpResponseStatus.BAD_REQUEST, "FabricBadRequest", "Bad Request: " + e.getMessage());
            return;
        }
        GatewaySnapshot snapshot = server.snapshots().current();
        group = snapshot.targetGroup(fabric.targetGroupId());
        pool = snapshot.targetPool(fabric.targetGroupId());
        if (group == null || pool == null) {
            answer(HttpResponseStatus.BAD_GATEWAY, "UnknownTargetGroup", "Bad Gateway: target group "
                    + fabric.targetGroupId() + " is not served by the gateway of " + server.vpcId());
            return;
        }
        transport = UpstreamTransport.of(group);
        if (transport == null) {
            String protocol = group.protocol() == null ? "HTTP" : group.protocol();
            String type = group.type() == null ? "IP" : group.type();
            answer(HttpResponseStatus.BAD_GATEWAY, "TargetGroupNotSupported", "Bad Gateway: this gateway cannot"
                    + " forward to " + type + " target groups over " + protocol + " yet");
            return;
        }
        target = pool.pick();
        if (target == null) {
            answer(HttpResponseStatus.SERVICE_UNAVAILABLE, "NoTargets", "Service Unavailable: target group "
                    + group.id() + " has no targets");
            return;
        }
        upstreamHead = upstreamRequestHead(body);
        stream.read(false);
        scheduleIdleCheck(fabric.timeout().toNanos());
        connect();
    }

    /** The head the target sees (facts §2), as the first hop would have built it for a local target. */
    private HttpRequest upstreamRequestHead(HttpContent wholeBody) {
        HttpHeaders headers = request.headers();
        FabricHeaders.strip(headers);
        boolean acceptsTrailers = UpstreamHeads.acceptsTrailers(headers);
        LatticeHeaders.removeHopByHop(headers);
        UpstreamHeads.setTrailersAccepted(headers, transport, acceptsTrailers,
                "GRPC".equals(group.protocolVersion()));
        LatticeHeaders.removeSetByGateway(headers);
        if (transport.http2()) {
            headers.add(LatticeHeaders.FORWARDED_PORT, fabric.listenerPort());
            headers.add(LatticeHeaders.FORWARDED_PROTO, fabric.proto());
            if (fabric.caller().identity != null) {
                headers.add(LatticeHeaders.IDENTITY, fabric.caller().identity);
            }
            headers.add(LatticeHeaders.NETWORK, fabric.caller().network);
            headers.add(LatticeHeaders.TARGET, fabric.route().latticeTarget(group));
            headers.add(LatticeHeaders.SOURCE_VPC, fabric.caller().sourceVpc);
        } else {
            // As at the first hop (Exchange.upstreamRequestHead): the shared ones as one block of lines.
            headers = new TargetRequestHeaders(fabric.route().targetLines(group, fabric.caller())).add(headers);
        }
        LatticeHeaders.appendForwardedFor(headers, fabric.clientIp());
        headers.set(LatticeHeaders.REQUEST_ID, fabric.requestId());
        if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            if (wholeBody == null) {
                // The body follows as DATA frames of unknown total length.
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else if (wholeBody.content().isReadable() || bodyExpected(request.method())) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, wholeBody.content().readableBytes());
            }
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri(), headers);
    }

    private void connect() {
        server.upstreams().of(stream.eventLoop()).acquire(target.address(), transport, this::onConnected);
    }

    private void onConnected(UpstreamConnection connection, Throwable cause) {
        if (finished) {
            if (connection != null) {
                connection.release(true);
            }
            return;
        }
        if (cause != null) {
            log.debug("{}: connecting to {} failed: {}", fabric.requestId(), target, cause.toString());
            if (!retriedConnect && !(cause instanceof ConnectTimeoutException)) {
                PoolTarget other = pool.pickOtherThan(target);
                if (other != null) {
                    retriedConnect = true;
                    target = other;
                    connect();
                    return;
                }
            }
            if (cause instanceof UpstreamHandshakeException) {
                answer(HttpResponseStatus.BAD_GATEWAY, "TargetHandshakeFailed",
                        "Bad Gateway: the TLS handshake with the target failed");
                return;
            }
            answer(HttpResponseStatus.BAD_GATEWAY, "TargetConnectionFailed",
                    "Bad Gateway: could not connect to the target");
            return;
        }
        upstream = connection;
        connectionWasReused = connection.reused();
        connection.attach(this);
        touch();
        boolean lastWritten = false;
        if (pending.size() == 1 && pending.peek() instanceof LastHttpContent end) {
            // The usual request over the fabric, head and end together (HEADERS with END_STREAM): one message.
            pending.poll();
            lastWritten = true;
            connection.channel().write(UpstreamHeads.joinedWithEnd(upstreamHead, end))
                    .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        } else {
            connection.channel().write(upstreamHead).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
        HttpContent content;
        while ((content = pending.poll()) != null) {
            lastWritten = content instanceof LastHttpContent;
            connection.channel().write(content).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
        if (requestComplete && !lastWritten) {
            // A retry of a bodiless request: its last content went to the first connection.
            connection.channel().write(LastHttpContent.EMPTY_LAST_CONTENT)
                    .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
        requestFullySent = requestComplete;
        connection.channel().flush();
        upstreamReady = true;
        stream.read(connection.channel().isWritable());
    }

    private void onRequestContent(HttpContent content) {
        if (content instanceof LastHttpContent) {
            requestComplete = true;
        }
        if (finished || fabric == null) {
            content.release();
            return;
        }
        requestBodyBytes += content.content().readableBytes();
        touch();
        if (upstreamReady && upstream != null) {
            upstream.channel().write(content).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            if (content instanceof LastHttpContent) {
                requestFullySent = true;
                upstreamFlushPending = false;
                upstream.channel().flush();
            } else {
                // the pieces of one read from the peer leave in one write: see onReadComplete
                upstreamFlushPending = true;
            }
            if (!upstream.channel().isWritable()) {
                // The target reads slower than the peer sends: stop reading the stream (no WINDOW_UPDATE).
                stream.read(false);
            }
        } else {
            pending.add(content);
        }
    }

    @Override
    public void onUpstreamWritable() {
        if (!finished) {
            stream.read(true);
        }
    }

    // --- the response ------------------------------------------------------------------------------------------

    @Override
    public void onResponseHead(HttpResponse response) {
        if (finished) {
            return;
        }
        touch();
        if (response.decoderResult().isFailure()) {
            dropUpstream();
            answer(HttpResponseStatus.BAD_GATEWAY, "TargetConnectionError",
                    "Bad Gateway: the target's response is not valid HTTP");
            return;
        }
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            skippingInformational = true;
            return;
        }
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        HttpHeaders headers = response.headers();
        LatticeHeaders.removeHopByHop(headers);
        UpstreamHeads.removeConversionHeaders(headers);
        // A target cannot speak for this gateway to the first hop.
        FabricHeaders.strip(headers);
        responseStarted = true;
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status(), headers);
        if (response instanceof LastHttpContent) {
            // Ended by its HEADERS frame (a gRPC "trailers-only" answer): keep it one frame over the fabric too.
            headEndingResponse = head;
            return;
        }
        unwrittenHead = head;
    }

    @Override
    public void onResponseContent(HttpContent content) {
        if (skippingInformational) {
            content.release();
            if (content instanceof LastHttpContent) {
                skippingInformational = false;
            }
            return;
        }
        if (finished || !responseStarted) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            reset();
            return;
        }
        touch();
        if (!(content instanceof LastHttpContent)) {
            writeUnwrittenHead();
            write(content);
            if (!stream.isWritable() && upstream != null) {
                // The peer's window is exhausted: stop reading the target until it opens again.
                upstream.channel().config().setAutoRead(false);
            }
            return;
        }
        UpstreamConnection connection = upstream;
        upstream = null;
        if (connection != null) {
            connection.release(upstreamKeepAlive && requestFullySent);
        }
        if (headEndingResponse != null) {
            HttpResponse head = headEndingResponse;
            headEndingResponse = null;
            write(UpstreamHeads.joinedWithEnd(head, (LastHttpContent) content));
        } else if (unwrittenHead != null) {
            // The whole response in one read: head and end as one message.
            HttpResponse head = unwrittenHead;
            unwrittenHead = null;
            write(UpstreamHeads.joinedWithEnd(head, (LastHttpContent) content));
        } else {
            write(content);
        }
        endStream();
    }

    /**
     * Both interfaces' read-complete hook. After a read from the peer (the stream calls it after every delivery), the
     * request body pieces it brought are flushed to the target at once; after a target's read, a response head held
     * for it goes to the peer. Writes to the peer flush as they go.
     */
    @Override
    public void onReadComplete() {
        writeUnwrittenHead();
        if (upstreamFlushPending) {
            upstreamFlushPending = false;
            if (upstream != null) {
                upstream.channel().flush();
            }
        }
    }

    @Override
    public void onWritable() {
        if (upstream != null) {
            upstream.readAgain();
        }
    }

    private void writeUnwrittenHead() {
        HttpResponse head = unwrittenHead;
        if (head != null) {
            unwrittenHead = null;
            write(head);
        }
    }

    /** Writes to the peer and flushes (consolidated per loop turn by the connection's FlushConsolidationHandler). */
    private void write(HttpObject message) {
        stream.write(message);
        stream.flush();
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        upstream = null;
        upstreamReady = false;
        if (finished) {
            return;
        }
        if (responseStarted) {
            reset();
            return;
        }
        if (connectionWasReused && !retriedStale && requestComplete && requestBodyBytes == 0
                && isIdempotent(request.method())) {
            // A kept-alive connection the target had already closed: nothing of this request was processed.
            retriedStale = true;
            stream.read(false);
            connect();
            return;
        }
        answer(HttpResponseStatus.BAD_GATEWAY, "TargetConnectionError",
                "Bad Gateway: the connection to the target failed");
    }

    // --- ending ------------------------------------------------------------------------------------------------

    /** Answers the peer itself, with the reason for its access log; the rest of the request is not wanted. */
    private void answer(HttpResponseStatus status, String reason, String message) {
        if (finished) {
            return;
        }
        if (responseStarted) {
            reset();
            return;
        }
        dropUpstream();
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        ByteBuf content = Unpooled.wrappedBuffer(bytes);
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        response.headers().set(FabricHeaders.ERROR, reason);
        responseStarted = true;
        write(response);
        endStream();
    }

    /** The response is written: done; a request still arriving is told to stop (RST_STREAM NO_ERROR, RFC 9113 §8.1). */
    private void endStream() {
        finish();
        if (!requestComplete) {
            stream.reset(Http2Error.NO_ERROR);
        }
        stream.read(true);
    }

    /** Ends a stream that cannot complete: the peer sees RST_STREAM (CANCEL) and cuts its client's response. */
    private void reset() {
        writeUnwrittenHead(); // what the target sent stays sent, as when the head went out at once: a cut response
        finish();
        stream.reset(Http2Error.CANCEL);
    }

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        dropUpstream();
        HttpContent content;
        while ((content = pending.poll()) != null) {
            content.release();
        }
    }

    private void dropUpstream() {
        UpstreamConnection connection = upstream;
        upstream = null;
        upstreamReady = false;
        if (connection != null) {
            connection.abort();
        }
    }

    @Override
    public void onClosed() {
        // Both sides ended, the peer reset the stream (its client left), or the connection died.
        finish();
    }

    // --- the idle timeout --------------------------------------------------------------------------------------

    private void touch() {
        lastActivityNanos = System.nanoTime();
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleTimer = stream.eventLoop().schedule(this::idleCheck, Math.max(delayNanos, 1_000_000L), TimeUnit.NANOSECONDS);
    }

    private void idleCheck() {
        idleTimer = null;
        if (finished) {
            return;
        }
        long timeout = fabric.timeout().toNanos();
        long idle = System.nanoTime() - lastActivityNanos;
        if (idle < timeout) {
            scheduleIdleCheck(timeout - idle);
            return;
        }
        if (responseStarted) {
            reset();
        } else {
            answer(HttpResponseStatus.GATEWAY_TIMEOUT, "TargetTimeout", "Gateway Timeout: the target did not"
                    + " respond within " + fabric.timeout().toSeconds() + " seconds");
        }
    }

    private static boolean bodyExpected(HttpMethod method) {
        return method.equals(HttpMethod.POST) || method.equals(HttpMethod.PUT) || method.equals(HttpMethod.PATCH);
    }

    private static boolean isIdempotent(HttpMethod method) {
        return method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD) || method.equals(HttpMethod.OPTIONS)
                || method.equals(HttpMethod.PUT) || method.equals(HttpMethod.DELETE)
                || method.equals(HttpMethod.TRACE);
    }
}
