package dev.trellis.gateway.http;

import dev.trellis.auth.Principal;
import dev.trellis.auth.policy.AuthorizationResult;
import dev.trellis.auth.policy.LatticeAction;
import dev.trellis.auth.policy.RequestContext;
import dev.trellis.auth.sigv4.AwsAuthError;
import dev.trellis.auth.sigv4.AwsProtocolFamily;
import dev.trellis.auth.sigv4.SigV4Outcome;
import dev.trellis.auth.sigv4.SignedRequest;
import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.accesslog.AccessLog;
import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.fabric.FabricStream;
import dev.trellis.gateway.fabric.RemoteForward;
import dev.trellis.gateway.proxy.HttpTypes;
import dev.trellis.gateway.proxy.TargetRequestHeaders;
import dev.trellis.gateway.proxy.UpstreamConnection;
import dev.trellis.gateway.proxy.UpstreamHandshakeException;
import dev.trellis.gateway.proxy.UpstreamHeads;
import dev.trellis.gateway.proxy.UpstreamListener;
import dev.trellis.gateway.proxy.UpstreamTransport;
import dev.trellis.gateway.routing.CompiledRule;
import dev.trellis.gateway.routing.RequestHead;
import dev.trellis.gateway.routing.ServiceRoute;
import dev.trellis.gateway.target.PoolTarget;
import dev.trellis.gateway.target.TargetPool;
import dev.trellis.gateway.tls.TlsConnection;
import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.TargetGroupEntry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map.Entry;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request through the gateway, from its head to the end of its response, on the client connection's event
 * loop (ARCHITECTURE.md "A request, end to end", steps 3–8):
 *
 * <ol>
 *   <li>find the service by Host and listener port (404 when this VPC reaches none);</li>
 *   <li>authenticate a signed request (403 with the verifier's error when the signature fails), else anonymous;</li>
 *   <li>authorize with the service's {@code LatticeAuthorizer} and the caller's identity policies (403);</li>
 *   <li>match the listener's rules: a fixed response, or a target group by weight;</li>
 *   <li>a target group in another VPC goes to the fabric; a local one to a target picked round robin, over a
 *       pooled keep-alive connection, with bodies streamed both ways under backpressure;</li>
 *   <li>write one access-log record.</li>
 * </ol>
 *
 * The snapshot is read once, when the head arrives, and used for the whole exchange. {@code DESIGN.md} lists what
 * the client sees for every failure.
 */
final class Exchange implements UpstreamListener, RemoteForward, RequestHead {

    private static final Logger log = LoggerFactory.getLogger(Exchange.class);

    /** A locally answered HTTP/1.1 request whose unread body is at most this long is drained, not closed on. */
    private static final long DRAIN_LIMIT = 64 * 1024;
    private static final Duration DEFAULT_SERVICE_IDLE = Duration.ofSeconds(60);
    private static final int MAX_ECHOED = 128;

    // Names of the headers the gateway sets on every request, as AsciiString: their hash codes are computed once,
    // not on every set (facts §2).
    private static final AsciiString REQUEST_ID = AsciiString.cached(LatticeHeaders.REQUEST_ID);
    private static final AsciiString PROTO_HTTP = AsciiString.cached("http");
    private static final AsciiString PROTO_HTTPS = AsciiString.cached("https");
    private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    /** Headers for a target's request head: what goes in was validated by the decoder or made by the gateway. */
    private static final DefaultHttpHeadersFactory VALIDATED_ALREADY =
            DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final ClientExchangeHandler client;
    private final PipelineContext context;
    private final GatewayConfig config;
    private final GatewaySnapshot snapshot;
    private final HttpRequest request;
    private final boolean http2;
    private final int listenerPort;
    /** The connection's TLS facts; null on a cleartext connection. */
    private final TlsConnection tls;
    private final InetSocketAddress remote;
    /** The client's address as text, made once per connection. */
    private final String clientIp;
    /** An {@code AsciiString}: set on two heads per request, and its bytes are copied, not encoded. */
    private final AsciiString requestId = newRequestId();
    /**
     * When the read that brought the request began ({@link ClientExchangeHandler#readStartNanos}). Clock reads cost
     * ~30 ns each on a virtual machine; an exchange reads the clock three times (target connected, response head,
     * finish) and takes this one from the connection's read.
     */
    private final long startNanos;
    private final String method;
    private final String uri;
    private final String path;
    private final String host;
    private final String userAgent;
    private final long headBytes;
    private final long declaredLength;
    private final boolean requestHasBody;
    private final boolean clientKeepAlive;
    private final boolean expectsContinue;

    private ServiceRoute route;
    private Principal caller = Principal.anonymous();
    private String accessKeyId;
    private TargetGroupEntry targetGroup;
    private TargetPool pool;
    private PoolTarget target;
    private String failureReason;
    private String authDeniedReason;

    private boolean requestComplete;
    private long requestBodyBytes;
    /**
     * Body pieces that arrived before the target connection was ready; null until one does (most requests reach a
     * pooled connection with their head, and their body, if any, goes straight through).
     */
    private ArrayDeque<HttpContent> pendingBody;
    private boolean discardBody;
    private boolean continueSent;
    private HttpRequest upstreamHead;
    /**
     * An HTTP/1.1 target's request head not written yet: it waits for the rest of the client's read, so that a
     * request whose end came in the same read (a GET's empty end) leaves as one message, as a response does (see
     * {@link #unwrittenHead}). Written before any body piece, and at the end of the client's read
     * ({@link #onClientReadComplete}).
     */
    private boolean upstreamHeadUnwritten;

    private UpstreamConnection upstream;
    /** How the picked target group's targets are spoken to (HTTP/1.1 or HTTP/2, cleartext or TLS). */
    private UpstreamTransport transport;
    /** A response head that ended the target's response (HTTP/2 HEADERS with END_STREAM), held for its end. */
    private HttpResponse headEndingResponse;
    /**
     * A response head not written yet: it waits for the rest of the target's read, so that a response whose end
     * came in the same read leaves as one message (the encoder puts a small body in the head's buffer: one
     * pipeline write, one outbound entry, one buffer instead of two of each). Written before any body piece, and
     * at the end of the read ({@link #onReadComplete}).
     */
    private HttpResponse unwrittenHead;
    /** The stream to the peer gateway while a remote target group's request is in flight. */
    private FabricStream fabricStream;
    private boolean upstreamReady;
    /** True from asking the pool for a connection until it answers (at once when it has an idle one). */
    private boolean connecting;
    private boolean upstreamKeepAlive;
    private boolean requestFullySent;
    private boolean retriedConnect;
    private boolean retriedStale;
    private boolean connectionWasReused;
    private long requestSentNanos;
    private long responseHeadNanos;
    private boolean skippingInformational;

    private boolean responseStarted;
    private boolean responseComplete;
    private int status;
    private long responseHeadBytes;
    private long responseBodyBytes;
    private boolean closeAfterResponse;
    /** Response head or body written to the client and not flushed yet (see {@link #onReadComplete}). */
    private boolean clientFlushPending;
    /** Request head or body written to the target and not flushed yet (see {@link #onClientReadComplete}). */
    private boolean upstreamFlushPending;

    /** True while the idle timeout runs for this exchange (the timer itself is the connection's: see idleCheck). */
    private boolean idleCheckArmed;
    private long lastActivityNanos;
    private boolean finished;

    Exchange(ClientExchangeHandler client, PipelineContext context, HttpRequest request, HttpContent bodyWithHead,
             boolean http2, int listenerPort, InetSocketAddress remote) {
        this.client = client;
        this.context = context;
        this.config = context.config();
        this.snapshot = context.snapshots().current();
        this.request = request;
        this.http2 = http2;
        this.listenerPort = listenerPort;
        this.tls = client.tls();
        this.remote = remote;
        this.clientIp = client.clientIp();
        this.startNanos = client.readStartNanos();
        this.lastActivityNanos = startNanos;
        this.method = request.method().name();
        this.uri = request.uri();
        this.path = rawPath(uri);
        this.host = request.headers().get(HttpHeaderNames.HOST);
        this.userAgent = request.headers().get(HttpHeaderNames.USER_AGENT);
        // Only the access log needs the byte counts (and the head is rewritten in place before the log is written).
        this.headBytes = logsAnything() ? headSize(request) : 0;
        this.declaredLength = contentLength(request);
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
        this.expectsContinue = !http2 && HttpUtil.is100ContinueExpected(request);
        if (bodyWithHead != null) {
            requestHasBody = bodyWithHead.content().isReadable();
            requestBodyBytes = bodyWithHead.content().readableBytes();
            requestComplete = true;
            holdBody(bodyWithHead);
        } else if (http2) {
            requestHasBody = declaredLength != 0;
        } else {
            requestHasBody = declaredLength > 0 || HttpUtil.isTransferEncodingChunked(request);
        }
    }

    // --- the request head: routing, authentication, authorization, rules -----------------------------------------

    void start() {
        if (request.decoderResult().isFailure()) {
            rejectUndecodable(request.decoderResult().cause());
            return;
        }
        if (host == null) {
            failureReason = "BadRequest";
            respondLocally(HttpResponseStatus.BAD_REQUEST, "Bad Request: the request has no Host header", false);
            return;
        }
        route = snapshot.routing().find(host, listenerPort);
        // A TLS connection reaches HTTPS listeners only, a cleartext one HTTP listeners only.
        if (route == null || !(tls == null ? "HTTP" : "HTTPS").equals(route.listener().protocol())) {
            route = null;
            failureReason = "ServiceNotFound";
            respondLocally(HttpResponseStatus.NOT_FOUND, "Not Found: no service reachable from "
                    + snapshot.snapshot().vpcId() + " answers to " + printable(host) + " on port " + listenerPort,
                    false);
            return;
        }
        if (declaredLength > config.maxRequestBodyBytes()) {
            failureReason = "PayloadTooLarge";
            respondLocally(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "Payload Too Large: the request body is "
                    + declaredLength + " bytes; the limit is " + config.maxRequestBodyBytes(), true);
            return;
        }
        if (!authenticate() || !authorize()) {
            return;
        }
        CompiledRule rule = route.match(this);
        if (rule.fixedResponseStatus() != null) {
            respondLocally(HttpResponseStatus.valueOf(rule.fixedResponseStatus()), "", false);
            return;
        }
        String groupId = rule.forwarding().pick();
        if (groupId == null) {
            failureReason = "NoTargets";
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "Service Unavailable: every target group of the matching rule has weight 0", false);
            return;
        }
        targetGroup = snapshot.targetGroup(groupId);
        if (!targetGroup.vpcId().equals(snapshot.snapshot().vpcId())) {
            forwardToRemoteTargetGroup();
            return;
        }
        forwardToLocalTargetGroup();
    }

    private void rejectUndecodable(Throwable cause) {
        // The decoder discards everything after a message it refused: answer and close.
        requestComplete = true;
        failureReason = "BadRequest";
        if (cause instanceof TooLongHttpLineException) {
            respondLocally(HttpResponseStatus.REQUEST_URI_TOO_LONG, "URI Too Long: the request line is longer than "
                    + config.maxInitialLineLength() + " bytes", true);
        } else if (cause instanceof TooLongHttpHeaderException) {
            respondLocally(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large: "
                    + "the request headers are larger than " + config.maxHeaderSize() + " bytes", true);
        } else {
            respondLocally(HttpResponseStatus.BAD_REQUEST, "Bad Request: " + printable(cause.getMessage()), true);
        }
    }

    /** Verifies a signed request; false when it answered 403. */
    private boolean authenticate() {
        if (!request.headers().contains(HttpHeaderNames.AUTHORIZATION) && uri.indexOf('?') < 0) {
            // Neither an Authorization header nor a query that could hold a presigned signature: the verifier
            // would find the request unsigned; skip copying its headers for it.
            return true;
        }
        SignedRequest.Builder signed = SignedRequest.builder(method, uri);
        // Names as the decoder made them (byte strings), not copied into Strings: the verifier only compares them.
        for (Iterator<Entry<CharSequence, CharSequence>> it = request.headers().iteratorCharSequence();
                it.hasNext(); ) {
            Entry<CharSequence, CharSequence> field = it.next();
            signed.header(field.getKey(), field.getValue().toString());
        }
        if (requestHasBody) {
            signed.bodyNotRead();
        } else {
            signed.emptyBody();
        }
        SigV4Outcome outcome = snapshot.verifier().verify(signed.build());
        if (outcome instanceof SigV4Outcome.Authenticated authenticated) {
            caller = authenticated.principal();
            accessKeyId = authenticated.accessKeyId();
            return true;
        }
        if (outcome instanceof SigV4Outcome.Rejected rejected) {
            // Lattice authenticates every signed request, whatever the auth type (facts §6).
            AwsAuthError error = rejected.failure().toAwsError(AwsProtocolFamily.LATTICE_DATA_PLANE);
            failureReason = "AuthenticationFailed";
            config.metrics().authenticationFailed(route.service().id(), error.code());
            respondLocally(HttpResponseStatus.valueOf(error.httpStatus()), error.plainTextBody(), false);
            return false;
        }
        return true;
    }

    /** Applies the network, service and identity policies; false when it answered 403. */
    private boolean authorize() {
        if (!route.authorizer().enforcesAuthorization()) {
            return true;
        }
        HttpHeaders headers = request.headers();
        RequestContext requestContext = RequestContext.builder(caller)
                .port(listenerPort)
                .method(method)
                .path(path)
                .headers(headers::getAll)
                .queryParameters(new QueryStringDecoder(uri).parameters())
                .serviceArn(route.service().arn())
                .serviceNetworkArn(route.service().networkArn())
                .sourceVpc(snapshot.snapshot().vpcId())
                .sourceVpcOwnerAccount(snapshot.snapshot().accountId())
                .sourceIp(clientIp)
                .secureTransport(tls != null)
                .requestTimeMillis(System.currentTimeMillis())
                .build();
        List<dev.trellis.auth.policy.Policy> identityPolicies = accessKeyId == null ? List.of()
                : snapshot.identityPolicies(accessKeyId);
        AuthorizationResult result = route.authorizer().authorize(LatticeAction.INVOKE, path, identityPolicies,
                requestContext);
        if (result.isAllowed()) {
            return true;
        }
        failureReason = "ClientAccessDenied";
        authDeniedReason = result.deniedBy().map(level -> level.accessLogReason()).orElse(null);
        config.metrics().authorizationDenied(route.service().id(), authDeniedReason);
        respondLocally(HttpResponseStatus.FORBIDDEN, result.accessDeniedMessage(), false);
        return false;
    }

    // --- forwarding --------------------------------------------------------------------------------------------

    /**
     * A target group in another VPC: the fabric's job (its forwarder answers at once, or opens a stream and calls
     * {@link #onFabricStream}). The body waits in the exchange, and the client is paused, until the stream is open;
     * the idle timeout runs from now, as the connect timeout does for a local target.
     */
    private void forwardToRemoteTargetGroup() {
        if (expectsContinue) {
            // As for a local target: this gateway has authorized the request; the peer is not asked.
            client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
            continueSent = true;
        }
        client.pause(ClientExchangeHandler.PAUSE_CONNECTING);
        scheduleIdleCheck(idleTimeoutNanos(), System.nanoTime());
        config.fabric().forwardToRemoteTargetGroup(this);
    }

    private void forwardToLocalTargetGroup() {
        transport = UpstreamTransport.of(targetGroup);
        if (transport == null) {
            String protocol = targetGroup.protocol() == null ? "HTTP" : targetGroup.protocol();
            String type = targetGroup.type() == null ? "IP" : targetGroup.type();
            failureReason = "TargetGroupNotSupported";
            respondLocally(HttpResponseStatus.BAD_GATEWAY, "Bad Gateway: this gateway cannot forward to " + type
                    + " target groups over " + protocol + " yet", false);
            return;
        }
        pool = snapshot.targetPool(targetGroup.id());
        target = pool == null ? null : pool.pick();
        if (target == null) {
            failureReason = "NoTargets";
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, "Service Unavailable: target group "
                    + targetGroup.id() + " has no targets", false);
            return;
        }
        if (expectsContinue) {
            // The gateway decides whether the body is wanted (it has authorized the request); the target is not
            // asked again.
            client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
            continueSent = true;
        }
        upstreamHead = upstreamRequestHead();
        connecting = true;
        connect();
        if (connecting) {
            // Only while a new connection is being made: with a pooled one the request is already on its way, and
            // switching reading off and on again costs interest-set updates (epoll_ctl) on every request.
            client.pause(ClientExchangeHandler.PAUSE_CONNECTING);
        }
    }

    /**
     * The request head as the target sees it (facts §2): same method, target and Host; Lattice's headers.
     *
     * <p>The client's headers were validated as they were decoded. Towards an HTTP/1.1 target, the gateway's six
     * headers of the connection go as pre-encoded lines after them ({@link TargetRequestHeaders}), and an HTTP/1.1
     * client's map itself goes on, with the few per-request additions (forwarded-for, request id) validated as they
     * are set. Towards an HTTP/2 target, what is left of the client's headers is copied once into headers that do
     * not validate again, and the gateway's additions (constant names, values checked once when made: {@link
     * LatticeHeaders#headerValue}) go in unchecked: each of the eight had cost a check character by character, some
     * 500 characters per request, 1–2 % of the gateway's CPU on a small request (docs/benchmarks.md, thirteenth
     * run).
     */
    private HttpRequest upstreamRequestHead() {
        HttpHeaders fromClient = request.headers();
        boolean acceptsTrailers = UpstreamHeads.acceptsTrailers(fromClient);
        LatticeHeaders.removeHopByHop(fromClient);
        fromClient.remove(HttpHeaderNames.EXPECT);
        LatticeHeaders.removeSetByGateway(fromClient);
        HttpHeaders headers;
        if (transport.http2()) {
            // HEADERS are made from the map alone: the gateway's own headers go in as entries. removeSetByGateway
            // took every client copy of them: add, which skips set's search for old values.
            headers = VALIDATED_ALREADY.newHeaders().add(fromClient);
            headers.add(LatticeHeaders.FORWARDED_PORT_NAME, client.listenerPortValue());
            headers.add(LatticeHeaders.FORWARDED_PROTO_NAME, forwardedProtoValue());
            if (!caller.isAnonymous()) {
                headers.add(LatticeHeaders.IDENTITY_NAME, client.identityValue(caller));
            }
            headers.add(LatticeHeaders.NETWORK_NAME, snapshot.networkHeaderValue());
            headers.add(LatticeHeaders.TARGET_NAME, targetHeader());
            headers.add(LatticeHeaders.SOURCE_VPC_NAME, snapshot.vpcIdValue());
        } else {
            TargetRequestHeaders.Lines lines = client.targetLines(this, snapshot, route, targetGroup, caller);
            // The HTTP/1.1 decoder's own map goes on as it is; an HTTP/2 client's head is copied.
            headers = fromClient instanceof TargetRequestHeaders decoded
                    ? decoded.endWith(lines) : new TargetRequestHeaders(lines).add(fromClient);
        }
        UpstreamHeads.setTrailersAccepted(headers, transport, acceptsTrailers,
                "GRPC".equals(targetGroup.protocolVersion()));
        LatticeHeaders.appendForwardedFor(headers, client.clientIpValue());
        headers.set(REQUEST_ID, requestId);
        if (declaredLength < 0) {
            if (requestHasBody) {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else if (http2 && bodyExpected(request.method())) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, 0);
            }
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), uri, headers);
    }

    /**
     * The gateway's headers of this request that every request of the connection to the same target group shares
     * (facts §2), as the lines an HTTP/1.1 target's head ends with; {@link ClientExchangeHandler#targetLines} keeps
     * them while they stay the same.
     */
    TargetRequestHeaders.Lines makeTargetLines() {
        return LatticeHeaders.targetLines(client.listenerPortValue(), forwardedProtoValue(),
                caller.isAnonymous() ? null : client.identityValue(caller), snapshot.networkHeaderValue(),
                targetHeader(), snapshot.vpcIdValue());
    }

    private AsciiString forwardedProtoValue() {
        return tls == null ? PROTO_HTTP : PROTO_HTTPS;
    }

    /** {@code x-amzn-lattice-target}, made once per (listener, target group) and kept by the route. */
    private AsciiString targetHeader() {
        AsciiString value = route.targetHeaders().get(targetGroup.arn());
        if (value == null) {
            value = LatticeHeaders.headerValue(LatticeHeaders.target(route.service().arn(),
                    route.service().networkArn(), targetGroup.arn()));
            route.targetHeaders().putIfAbsent(targetGroup.arn(), value);
        }
        return value;
    }

    private void connect() {
        context.upstreams().of(client.eventLoop()).acquire(target.address(), transport, this::onConnected);
    }

    private void onConnected(UpstreamConnection connection, Throwable cause) {
        connecting = false;
        if (finished || discardBody) {
            if (connection != null) {
                connection.release(true);
            }
            return;
        }
        if (cause != null) {
            onConnectFailed(cause);
            return;
        }
        upstream = connection;
        connectionWasReused = connection.reused();
        connection.attach(this);
        // A pooled connection comes at once, inside the client's read: its clock read serves (a fresh one after a
        // connect).
        long now = client.readStartNanos();
        requestSentNanos = now;
        lastActivityNanos = now;
        HttpContent content;
        boolean lastWritten = false;
        if (connection.http2() && requestComplete && pendingBodyIsEmpty()) {
            // A bodiless request to an HTTP/2 target: one HEADERS frame with END_STREAM.
            releasePending();
            lastWritten = true;
            connection.channel().write(UpstreamHeads.joinedWithEnd(upstreamHead,
                    LastHttpContent.EMPTY_LAST_CONTENT), connection.channel().voidPromise());
        } else if (!connection.http2() && !requestComplete && pendingBody == null && client.inRead()) {
            // The usual GET: its end is next in this read (onRequestContent joins the two).
            upstreamHeadUnwritten = true;
        } else {
            // Void promises: no promise and listener per write. A write that fails fires exceptionCaught, and
            // UpstreamConnection closes the connection and tells the exchange (as CLOSE_ON_FAILURE did).
            connection.channel().write(upstreamHead, connection.channel().voidPromise());
        }
        while ((content = nextPendingBody()) != null) {
            lastWritten = HttpTypes.isLast(content);
            connection.channel().write(content, connection.channel().voidPromise());
        }
        if (requestComplete && !lastWritten) {
            // A retry of a bodiless request: its (empty) last content went to the first connection. Every request
            // must end with one, or the connection's encoder still expects a body when the next exchange reuses it.
            connection.channel().write(LastHttpContent.EMPTY_LAST_CONTENT, connection.channel().voidPromise());
        }
        requestFullySent = requestComplete;
        flushUpstreamSoon(connection);
        upstreamReady = true;
        client.resume(ClientExchangeHandler.PAUSE_CONNECTING);
        if (!connection.channel().isWritable()) {
            client.pause(ClientExchangeHandler.PAUSE_UPSTREAM_FULL);
        }
        scheduleIdleCheck(idleTimeoutNanos(), now);
    }

    private void holdBody(HttpContent content) {
        if (pendingBody == null) {
            pendingBody = new ArrayDeque<>(2);
        }
        pendingBody.add(content);
    }

    /** The next body piece waiting for the target, or null. */
    private HttpContent nextPendingBody() {
        return pendingBody == null ? null : pendingBody.poll();
    }

    /** True when what waits of the request body is no bytes and no trailers. */
    private boolean pendingBodyIsEmpty() {
        if (pendingBody == null) {
            return true;
        }
        for (HttpContent content : pendingBody) {
            if (content.content().isReadable()
                    || (HttpTypes.isLast(content) && !((LastHttpContent) content).trailingHeaders().isEmpty())) {
                return false;
            }
        }
        return true;
    }

    private void onConnectFailed(Throwable cause) {
        log.debug("{}: connecting to {} failed: {}", requestId, target, cause.toString());
        // Nothing was sent: another target can take the request, once. A timeout has already cost its 5 seconds.
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
            failureReason = "TargetHandshakeFailed";
            respondLocally(HttpResponseStatus.BAD_GATEWAY, "Bad Gateway: the TLS handshake with the target failed",
                    false);
            return;
        }
        failureReason = "TargetConnectionFailed";
        respondLocally(HttpResponseStatus.BAD_GATEWAY, "Bad Gateway: could not connect to the target", false);
    }

    // --- the request body ----------------------------------------------------------------------------------------

    void onRequestContent(HttpContent content) {
        boolean last = HttpTypes.isLast(content);
        if (content.decoderResult().isFailure()) {
            content.release();
            requestComplete = true;
            closeAfterResponse = true;
            if (finished) {
                return;
            }
            if (responseStarted) {
                abort("BadRequest");
            } else {
                failureReason = "BadRequest";
                respondLocally(HttpResponseStatus.BAD_REQUEST, "Bad Request: "
                        + printable(content.decoderResult().cause().getMessage()), true);
            }
            return;
        }
        requestBodyBytes += content.content().readableBytes();
        lastActivityNanos = client.readStartNanos();
        if (requestBodyBytes > config.maxRequestBodyBytes()) {
            // A streamed body longer than the limit is cut: the target must not take it for a whole request.
            content.release();
            requestComplete = true;
            closeAfterResponse = true;
            if (finished) {
                return;
            }
            if (responseStarted) {
                abort("PayloadTooLarge");
            } else {
                failureReason = "PayloadTooLarge";
                respondLocally(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "Payload Too Large: the request body"
                        + " is longer than " + config.maxRequestBodyBytes() + " bytes", true);
            }
            return;
        }
        if (last) {
            requestComplete = true;
            if (!http2) {
                client.requestReadWhole();
            }
        }
        if (finished || discardBody) {
            content.release();
            if (last) {
                finishIfDone();
            }
            return;
        }
        if (upstreamReady && upstream != null) {
            if (upstreamHeadUnwritten && last) {
                upstreamHeadUnwritten = false;
                upstream.channel().write(UpstreamHeads.joinedWithEnd(upstreamHead, (LastHttpContent) content),
                        upstream.channel().voidPromise());
            } else {
                writeUnwrittenUpstreamHead(upstream);
                upstream.channel().write(content, upstream.channel().voidPromise());
            }
            flushUpstreamSoon(upstream);
            if (last) {
                requestFullySent = true;
            }
            if (!upstream.channel().isWritable()) {
                client.pause(ClientExchangeHandler.PAUSE_UPSTREAM_FULL);
            }
        } else if (fabricStream != null) {
            fabricStream.write(content);
            fabricStream.flush();
            if (last) {
                requestFullySent = true;
            }
            if (!fabricStream.isWritable()) {
                client.pause(ClientExchangeHandler.PAUSE_UPSTREAM_FULL);
            }
        } else {
            holdBody(content);
        }
    }

    /**
     * Flushes what was written to the target: at the end of the client's read when one is being handled (HTTP/1.1:
     * a GET's head and its empty end, or a body's pieces, arrive in one read and leave in one write), else now (a
     * connection that was made meanwhile, a request taken from the pipelined queue, HTTP/2 streams). This replaced
     * a {@code FlushConsolidationHandler} on target connections that deferred every flush to a task run after the
     * loop turn's other I/O: a task per request and the request held back while the loop served other connections.
     */
    private void flushUpstreamSoon(UpstreamConnection connection) {
        if (!http2 && client.inRead()) {
            upstreamFlushPending = true;
        } else {
            upstreamFlushPending = false;
            writeUnwrittenUpstreamHead(connection);
            connection.channel().flush();
        }
    }

    /** The client's read is over: what it brought for the target goes out now, in one write. */
    void onClientReadComplete() {
        if (upstreamFlushPending) {
            upstreamFlushPending = false;
            UpstreamConnection connection = upstream;
            if (connection != null) {
                writeUnwrittenUpstreamHead(connection);
                connection.channel().flush();
            }
        }
    }

    private void writeUnwrittenUpstreamHead(UpstreamConnection connection) {
        if (upstreamHeadUnwritten) {
            upstreamHeadUnwritten = false;
            connection.channel().write(upstreamHead, connection.channel().voidPromise());
        }
    }

    /** True once the whole request body has arrived (or the request was cut). */
    boolean requestComplete() {
        return requestComplete;
    }

    @Override
    public void onUpstreamWritable() {
        client.resume(ClientExchangeHandler.PAUSE_UPSTREAM_FULL);
    }

    // --- the response ------------------------------------------------------------------------------------------

    @Override
    public void onResponseHead(HttpResponse response) {
        if (finished || discardBody) {
            return;
        }
        long now = targetReadNanos();
        lastActivityNanos = now;
        if (response.decoderResult().isFailure()) {
            failureReason = "TargetConnectionError";
            dropUpstream();
            respondLocally(HttpResponseStatus.BAD_GATEWAY, "Bad Gateway: the target's response is not valid HTTP",
                    false);
            return;
        }
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            // 1xx (100 Continue was answered by the gateway, 103 Early Hints): not forwarded.
            skippingInformational = true;
            return;
        }
        responseHeadNanos = now;
        status = response.status().code();
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        HttpHeaders headers = response.headers();
        boolean lengthKnown = HttpUtil.isContentLengthSet(response);
        boolean endsResponse = HttpTypes.isLast(response);
        LatticeHeaders.removeHopByHop(headers);
        UpstreamHeads.removeConversionHeaders(headers);
        headers.set(REQUEST_ID, requestId);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status(), headers);
        if (!http2) {
            boolean bodyless = request.method().equals(HttpMethod.HEAD) || status == 204 || status == 304;
            if (!lengthKnown && !bodyless && endsResponse) {
                // A whole response: its length is known once its content is here (see onResponseContent).
            } else if (!lengthKnown && !bodyless) {
                if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                    closeAfterResponse = true;
                } else {
                    HttpUtil.setTransferEncodingChunked(head, true);
                }
            }
            setConnectionHeader(head);
        }
        responseStarted = true;
        responseHeadBytes = logsAnything() ? headSize(head) : 0;
        if (endsResponse) {
            // Sent together with its (empty) end, so an HTTP/2 client gets one HEADERS frame with END_STREAM:
            // a gRPC "trailers-only" answer must stay one, or the client sees a response without trailers.
            headEndingResponse = head;
            return;
        }
        // Written with the body's end when it comes in the same read (a small response is then one message and
        // one write to the client), else when the target's (or the peer's) read is complete.
        unwrittenHead = head;
        clientFlushPending = true;
    }

    @Override
    public void onReadComplete() {
        if (clientFlushPending) {
            clientFlushPending = false;
            writeUnwrittenHead();
            client.flush();
        }
    }

    private void writeUnwrittenHead() {
        HttpResponse head = unwrittenHead;
        if (head != null) {
            unwrittenHead = null;
            client.write(head);
        }
    }

    @Override
    public void onResponseContent(HttpContent content) {
        if (skippingInformational) {
            content.release();
            if (HttpTypes.isLast(content)) {
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
            abort("TargetConnectionError");
            return;
        }
        responseBodyBytes += content.content().readableBytes();
        if (!HttpTypes.isLast(content)) {
            // The idle timeout needs the activity only while the response goes on: its end stops the check.
            touch();
            writeUnwrittenHead();
            client.write(content);
            clientFlushPending = true;
            if (!client.isWritable() && upstream != null) {
                // The client reads slower than the target writes: stop reading the target until it catches up.
                upstream.channel().config().setAutoRead(false);
            }
            if (!client.isWritable() && fabricStream != null) {
                fabricStream.readResponse(false);
            }
            return;
        }
        responseComplete = true;
        cancelIdleCheck();
        if (!requestComplete) {
            // The target answered before the whole request arrived: the rest cannot go anywhere.
            closeAfterResponse = true;
        }
        long now = targetReadNanos();
        UpstreamConnection connection = upstream;
        upstream = null;
        if (connection != null) {
            connection.release(upstreamKeepAlive && requestFullySent);
        }
        FabricStream stream = fabricStream;
        fabricStream = null;
        if (stream != null) {
            stream.responseEnded(requestFullySent);
        }
        Object end = content;
        if (headEndingResponse != null) {
            LastHttpContent last = (LastHttpContent) content;
            HttpResponse head = headEndingResponse;
            headEndingResponse = null;
            boolean bodyless = request.method().equals(HttpMethod.HEAD) || status == 204 || status == 304;
            if (!http2 && !bodyless && !HttpUtil.isContentLengthSet(head)) {
                head.headers().set(HttpHeaderNames.CONTENT_LENGTH, last.content().readableBytes());
            }
            end = UpstreamHeads.joinedWithEnd(head, last);
        } else if (unwrittenHead != null) {
            // The whole response in one read: head and end as one message (its framing is the head's, set above).
            end = UpstreamHeads.joinedWithEnd(unwrittenHead, (LastHttpContent) content);
            unwrittenHead = null;
        }
        clientFlushPending = false;
        if (closeAfterResponse) {
            client.writeAndFlush(end).addListener(f -> client.endRequestEarly());
        } else {
            // The usual case: nothing waits for this write, so no promise is made for it.
            client.writeAndFlushVoid(end);
        }
        if (done()) {
            finish(now);
        }
    }

    /** Now: the target connection's clock read of the read in progress, if any (see UpstreamConnection#nanoTime). */
    private long targetReadNanos() {
        return upstream != null ? upstream.nanoTime() : System.nanoTime();
    }

    /** The client can take more response bytes again: read the target again. */
    void onClientWritable() {
        if (upstream != null) {
            upstream.readAgain();
        }
        if (fabricStream != null) {
            fabricStream.readResponse(true);
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        upstream = null;
        upstreamReady = false;
        upstreamHeadUnwritten = false;
        if (finished || discardBody) {
            return;
        }
        if (cause != null) {
            log.debug("{}: the connection to {} failed: {}", requestId, target, cause.toString());
        }
        if (responseStarted) {
            abort("TargetConnectionError");
            return;
        }
        if (connectionWasReused && !retriedStale && requestComplete && requestBodyBytes == 0
                && isIdempotent(request.method())) {
            // A kept-alive connection the target had already closed: nothing of this request was processed.
            retriedStale = true;
            client.pause(ClientExchangeHandler.PAUSE_CONNECTING);
            cancelIdleCheck();
            connect();
            return;
        }
        failureReason = "TargetConnectionError";
        respondLocally(HttpResponseStatus.BAD_GATEWAY, "Bad Gateway: the connection to the target failed", false);
    }

    void onClientClosed() {
        if (finished) {
            return;
        }
        if (!responseComplete && failureReason == null) {
            failureReason = "ClientDisconnected";
        }
        dropUpstream();
        closeAfterResponse = true;
        finish();
    }

    // --- timeouts ------------------------------------------------------------------------------------------------

    private void touch() {
        lastActivityNanos = System.nanoTime();
    }

    /**
     * The service's idle timeout in nanoseconds (facts §1: {@code idleTimeoutSeconds}, 60 s by default), -1 before a
     * service is known; a {@code long}, not a {@code Duration}, as it is read for every request.
     */
    long idleTimeoutNanos() {
        if (route == null) {
            return -1;
        }
        int seconds = route.service().idleTimeoutSeconds();
        return seconds > 0 ? TimeUnit.SECONDS.toNanos(seconds) : DEFAULT_SERVICE_IDLE.toNanos();
    }

    private void scheduleIdleCheck(long delayNanos, long nowNanos) {
        idleCheckArmed = true;
        client.armIdleCheck(Math.max(delayNanos, 1_000_000L), nowNanos);
    }

    private void cancelIdleCheck() {
        // Nothing to cancel: the connection's timer finds no armed exchange when it fires.
        idleCheckArmed = false;
    }

    /**
     * Called by the connection's idle timer ({@link ClientExchangeHandler#armIdleCheck}), which may fire before this
     * exchange's own deadline (it was armed for an earlier one): then it is armed again for the time left.
     */
    void idleCheck() {
        if (!idleCheckArmed) {
            return;
        }
        idleCheckArmed = false;
        if (finished || responseComplete) {
            return;
        }
        long timeout = idleTimeoutNanos();
        long now = System.nanoTime();
        long idle = now - lastActivityNanos;
        if (idle < timeout) {
            scheduleIdleCheck(timeout - idle, now);
            return;
        }
        if (responseStarted) {
            abort("TargetTimeout");
        } else {
            failureReason = "TargetTimeout";
            dropUpstream();
            respondLocally(HttpResponseStatus.GATEWAY_TIMEOUT, "Gateway Timeout: the target did not respond within "
                    + TimeUnit.NANOSECONDS.toSeconds(timeout) + " seconds", false);
        }
    }

    // --- answering locally, aborting, finishing ------------------------------------------------------------------

    /**
     * Answers the client with {@code status} and a plain-text body (none when empty); the rest of the request body,
     * if any, is drained (small, HTTP/1.1 keep-alive) or the connection (HTTP/2: the stream) is closed.
     */
    private void respondLocally(HttpResponseStatus responseStatus, String body, boolean closeConnection) {
        if (finished) {
            return;
        }
        if (responseStarted) {
            abort(failureReason);
            return;
        }
        discardBody = true;
        releasePending();
        dropUpstream();
        cancelIdleCheck();
        client.resume(ClientExchangeHandler.PAUSE_CONNECTING | ClientExchangeHandler.PAUSE_UPSTREAM_FULL);
        status = responseStatus.code();
        closeAfterResponse |= closeConnection;
        boolean resetStream = false;
        if (!requestComplete) {
            if (http2) {
                resetStream = true;
            } else if ((expectsContinue && !continueSent) || declaredLength < 0 || declaredLength - requestBodyBytes > DRAIN_LIMIT) {
                // A client told to wait may never send the body: only a closed connection ends the request.
                closeAfterResponse = true;
            }
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ByteBuf content = bytes.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, responseStatus, content);
        if (bytes.length > 0) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        }
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        response.headers().set(REQUEST_ID, requestId);
        if (!http2) {
            setConnectionHeader(response);
        }
        responseStarted = true;
        responseComplete = true;
        responseHeadBytes = logsAnything() ? headSize(response) : 0;
        responseBodyBytes = bytes.length;
        ChannelFuture write = client.writeAndFlush(response);
        if (resetStream) {
            write.addListener(f -> client.endRequestEarly());
            closeAfterResponse = true;
        } else if (closeAfterResponse) {
            write.addListener(f -> client.closeChannel());
        }
        finishIfDone();
    }

    /** Ends an exchange that cannot complete: target connection and client connection (HTTP/2: stream) close. */
    private void abort(String reason) {
        if (finished) {
            return;
        }
        if (failureReason == null) {
            failureReason = reason;
        }
        log.debug("{}: aborted ({})", requestId, reason);
        dropUpstream();
        releasePending();
        closeAfterResponse = true;
        // What the client was sent stays sent, as when every piece was flushed on its own: a cut response.
        onReadComplete();
        client.closeChannel();
        finish();
    }

    private void finishIfDone() {
        if (done()) {
            finish(System.nanoTime());
        }
    }

    /** Whether the response went out whole and the request needs nothing more (read whole, or cut by a close). */
    private boolean done() {
        return responseComplete && (requestComplete || closeAfterResponse);
    }

    private void finish() {
        finish(System.nanoTime());
    }

    /** Ends the exchange, which finished at {@code now} ({@code System.nanoTime}): metrics, access log, connection. */
    private void finish(long now) {
        if (finished) {
            return;
        }
        finished = true;
        cancelIdleCheck();
        releasePending();
        dropUpstream();
        config.metrics().requestFinished(route == null ? null : route.service().id(),
                targetGroup == null ? null : targetGroup.id(), status, now - startNanos);
        if (config.accessLog().wants(route == null ? null : route.service().arn())) {
            try {
                config.accessLog().log(accessLogRecord(now));
            } catch (RuntimeException e) {
                log.warn("the access log refused a record: {}", e.toString());
            }
        }
        client.exchangeFinished(this, closeAfterResponse, now);
    }

    private void dropUpstream() {
        UpstreamConnection connection = upstream;
        upstream = null;
        upstreamReady = false;
        upstreamHeadUnwritten = false;
        if (connection != null) {
            connection.abort();
        }
        FabricStream stream = fabricStream;
        fabricStream = null;
        if (stream != null) {
            stream.cancel();
        }
    }

    private void releasePending() {
        HttpContent content;
        while ((content = nextPendingBody()) != null) {
            content.release();
        }
    }

    private void setConnectionHeader(HttpResponse response) {
        boolean keepAlive = !closeAfterResponse && clientKeepAlive && !client.connectionDraining();
        if (!keepAlive) {
            closeAfterResponse = true;
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /** The access log's record of this exchange, which finished at {@code now} ({@code System.nanoTime}). */
    private AccessLogRecord accessLogRecord(long now) {
        boolean sent = requestSentNanos != 0;
        // The wall-clock start, from the monotonic one: a wall-clock read per request only where a log wants it.
        long startMillis = System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(now - startNanos);
        return new AccessLogRecord(
                route == null ? null : route.service().networkArn(),
                caller.isAnonymous() ? null : caller.arn(),
                route == null ? null : route.listener().protocol(),
                authDeniedReason,
                targetGroup == null ? null : targetGroup.arn(),
                snapshot.sourceVpcArn(),
                targetGroup == null ? null : targetGroup.vpcId(),
                clientIp + ":" + remote.getPort(),
                route == null ? null : route.listener().id(),
                sent && target != null ? target.ipPort() : null,
                failureReason,
                route == null ? null : route.service().arn(),
                snapshot.snapshot().vpcId(),
                Instant.ofEpochMilli(startMillis),
                method,
                uri,
                http2 ? "HTTP/2.0" : request.protocolVersion().text(),
                status,
                headBytes + requestBodyBytes,
                responseHeadBytes + responseBodyBytes,
                TimeUnit.NANOSECONDS.toMillis(now - startNanos),
                userAgent,
                host,
                tls == null ? null : tls.serverName(),
                sent ? TimeUnit.NANOSECONDS.toMillis(requestSentNanos - startNanos) : 0L,
                sent && responseHeadNanos != 0 ? TimeUnit.NANOSECONDS.toMillis(responseHeadNanos - requestSentNanos)
                        : 0L,
                tls == null ? null : tls.cipherSuite(),
                tls == null ? null : tls.protocol(),
                caller.isAnonymous() ? null : caller.arn(),
                caller.orgId().orElse(null),
                null, null, null, null, null,
                requestId.toString());
    }

    // --- RequestHead (rule matching) and RemoteForward (the fabric) ----------------------------------------------

    @Override
    public String method() {
        return method;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public List<String> headerValues(String name) {
        return request.headers().getAll(name);
    }

    @Override
    public TargetGroupEntry targetGroup() {
        return targetGroup;
    }

    @Override
    public FabricPeer peer() {
        return snapshot.peer(targetGroup.vpcId());
    }

    @Override
    public String serviceArn() {
        return route.service().arn();
    }

    @Override
    public String serviceNetworkArn() {
        return route.service().networkArn();
    }

    @Override
    public Principal caller() {
        return caller;
    }

    @Override
    public String requestId() {
        return requestId.toString();
    }

    @Override
    public void respond(int responseStatus, String plainTextBody) {
        if (responseStatus >= 500 && failureReason == null) {
            failureReason = "RemoteTargetGroupUnavailable";
        }
        respondLocally(HttpResponseStatus.valueOf(responseStatus), plainTextBody, false);
    }

    @Override
    public void fail(int responseStatus, String reason, String plainTextBody) {
        if (failureReason == null) {
            failureReason = reason;
        }
        respondLocally(HttpResponseStatus.valueOf(responseStatus), plainTextBody, false);
    }

    @Override
    public void remoteFailure(String reason) {
        failureReason = reason;
    }

    @Override
    public String sourceVpcId() {
        return snapshot.snapshot().vpcId();
    }

    @Override
    public String sourceVpcArn() {
        return snapshot.sourceVpcArn();
    }

    @Override
    public String clientIp() {
        return clientIp;
    }

    @Override
    public int listenerPort() {
        return listenerPort;
    }

    @Override
    public String forwardedProto() {
        return tls == null ? "http" : "https";
    }

    @Override
    public Duration responseTimeout() {
        return Duration.ofNanos(idleTimeoutNanos()); // asked once the route is known
    }

    @Override
    public EventLoop eventLoop() {
        return client.eventLoop();
    }

    /** The head for the peer: as for a local target, minus what the receiving gateway adds (facts §2). */
    @Override
    public HttpRequest requestHead() {
        HttpHeaders headers = request.headers();
        boolean acceptsTrailers = UpstreamHeads.acceptsTrailers(headers);
        LatticeHeaders.removeHopByHop(headers);
        if (acceptsTrailers) {
            // The fabric is HTTP/2 and carries it; the receiving gateway decides what its target gets.
            headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
        headers.remove(HttpHeaderNames.EXPECT);
        LatticeHeaders.removeSpoofable(headers);
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), uri, headers);
    }

    @Override
    public void onFabricStream(FabricStream stream) {
        if (finished || discardBody) {
            stream.cancel();
            return;
        }
        fabricStream = stream;
        long now = System.nanoTime();
        requestSentNanos = now;
        lastActivityNanos = now;
        HttpContent content;
        while ((content = nextPendingBody()) != null) {
            stream.write(content);
        }
        requestFullySent = requestComplete;
        stream.flush();
        client.resume(ClientExchangeHandler.PAUSE_CONNECTING);
        if (!stream.isWritable()) {
            client.pause(ClientExchangeHandler.PAUSE_UPSTREAM_FULL);
        }
    }

    @Override
    public void onFabricWritable() {
        client.resume(ClientExchangeHandler.PAUSE_UPSTREAM_FULL);
    }

    @Override
    public void onFabricStreamClosed(Throwable cause) {
        fabricStream = null;
        if (finished || discardBody) {
            return;
        }
        if (responseStarted) {
            abort("FabricConnectionError");
            return;
        }
        failureReason = "FabricConnectionError";
        respondLocally(HttpResponseStatus.BAD_GATEWAY, "Bad Gateway: the fabric connection to the gateway of "
                + targetGroup.vpcId() + " failed", false);
    }

    // --- small helpers -----------------------------------------------------------------------------------------

    /** The path of a request target as received, without the query (absolute-form targets keep their path). */
    static String rawPath(String target) {
        String path = target;
        if (!path.startsWith("/")) {
            int scheme = path.indexOf("://");
            if (scheme > 0) {
                int slash = path.indexOf('/', scheme + 3);
                path = slash < 0 ? "/" : path.substring(slash);
            }
        }
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        int fragment = path.indexOf('#');
        return fragment >= 0 ? path.substring(0, fragment) : path;
    }

    private static long contentLength(HttpRequest request) {
        String value = request.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
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

    /** False when the access log takes no record of any request (then nothing is measured for it). */
    private boolean logsAnything() {
        return config.accessLog() != AccessLog.NONE;
    }

    /** An estimate of a head's size on the wire (HTTP/1.1 form), for the access log's byte counts. */
    private static long headSize(io.netty.handler.codec.http.HttpMessage message) {
        long size = 12 + (message instanceof HttpRequest r ? r.method().name().length() + r.uri().length() : 20);
        for (Entry<String, String> header : message.headers()) {
            size += header.getKey().length() + header.getValue().length() + 4;
        }
        return size + 2;
    }

    /** Client-supplied text echoed in a body: printable ASCII only, and short. */
    static String printable(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_ECHOED));
        for (int i = 0; i < text.length() && out.length() < MAX_ECHOED; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }

    /**
     * A random version-4 UUID in its usual text form, without {@code SecureRandom}'s cost on the event loop (ids
     * need not be secret), written straight into the bytes of an {@code AsciiString} (no UUID, no String).
     */
    static AsciiString newRequestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        byte[] text = new byte[36];
        hex(high >>> 32, text, 0, 8);
        text[8] = '-';
        hex(high >>> 16, text, 9, 4);
        text[13] = '-';
        hex(high, text, 14, 4);
        text[18] = '-';
        hex(low >>> 48, text, 19, 4);
        text[23] = '-';
        hex(low, text, 24, 12);
        return new AsciiString(text, false);
    }

    /** The low {@code digits} hex digits of {@code value}, lower case, into {@code out} from {@code offset}. */
    private static void hex(long value, byte[] out, int offset, int digits) {
        for (int i = offset + digits - 1; i >= offset; i--) {
            out[i] = HEX_DIGITS[(int) (value & 0xF)];
            value >>>= 4;
        }
    }

    @Override
    public String toString() {
        return "Exchange[" + requestId + " " + method + " " + printable(uri) + "]";
    }
}
