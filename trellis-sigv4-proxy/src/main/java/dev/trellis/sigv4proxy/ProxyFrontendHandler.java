package dev.trellis.sigv4proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * One client connection of the proxy. Requests on it are handled one at a time: headers are signed as soon as they
 * arrive and the body then streams through (with {@code --unsigned-payload}), or the body is first collected up to
 * {@code --max-signed-body} so that its hash can be signed. Backpressure both ways: a side stops reading while the
 * other side's socket is not writable.
 *
 * <p>The upstream connection outlives its request: when both sides keep the connection alive it is parked and the
 * client connection's next request to the same upstream reuses it (an HTTPS upstream would otherwise cost a TLS
 * handshake per request, which dominates a sidecar's latency). It is closed after
 * {@code --transport.idle-conn-timeout} unused (40 s, before the gateway's 60-second idle timeout, so that the proxy
 * rather than the upstream usually ends it; zero: never reused) and when the client connection closes. A request that finds its reused connection closed under it before any answer, and
 * that has sent no body bytes, is sent again once on a new connection (the upstream cannot have acted on it).
 */
final class ProxyFrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ProxyFrontendHandler.class);


    /** Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the proxy replaces. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "upgrade", "expect", "host",
            "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256");

    private final Sigv4ProxyConfig config;
    private final RequestSigner signer;
    private final SslContext tls;
    private final Executor signing;

    private ChannelHandlerContext ctx;
    /** The request in progress, null between requests. */
    private HttpRequest request;
    private String upstreamUrl;
    private boolean keepAlive;
    private long startNanos;
    private boolean requestEnded;
    private CompositeByteBuf collected;
    private final ArrayDeque<HttpContent> pending = new ArrayDeque<>();
    private final ArrayDeque<Object> queued = new ArrayDeque<>();
    private Channel upstream;
    /** Whether {@link #upstream} carried an earlier request (so closing under the request may be a race). */
    private boolean upstreamReused;
    /** Body bytes of the request in progress already written upstream (a retry is only safe at zero). */
    private long bodyBytesSent;
    private Map<String, List<String>> signedHeaders;
    private byte[] signedBody;
    private boolean upstreamKeepAlive;
    /** The upstream connection kept between requests, the upstream it reaches, and the timer that closes it. */
    private Channel idleUpstream;
    private String idleUpstreamKey;
    private io.netty.util.concurrent.ScheduledFuture<?> idleUpstreamTimer;
    private boolean upstreamReady;
    private boolean responseStarted;
    private boolean responseEnded;
    private int responseStatus;

    ProxyFrontendHandler(Sigv4ProxyConfig config, RequestSigner signer, SslContext tls, Executor signing) {
        this.config = config;
        this.signer = signer;
        this.tls = tls;
        this.signing = signing;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (request != null && requestEnded) {
            // Pipelined: decoded from the same read as the request in progress; handled after its response.
            queued.add(msg);
            return;
        }
        if (msg instanceof HttpRequest req) {
            onRequest(req);
        }
        if (msg instanceof HttpContent content) {
            onRequestContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(HttpRequest req) {
        request = req;
        requestEnded = false;
        responseStarted = false;
        responseEnded = false;
        upstreamReady = false;
        startNanos = System.nanoTime();
        keepAlive = HttpUtil.isKeepAlive(req);
        if (req.decoderResult().isFailure()) {
            keepAlive = false;
            fail(HttpResponseStatus.BAD_REQUEST, "malformed request: " + req.decoderResult().cause().getMessage());
            return;
        }
        String target = config.host != null ? config.host : req.headers().get(HttpHeaderNames.HOST);
        if (target == null || target.isBlank()) {
            keepAlive = false;
            fail(HttpResponseStatus.BAD_REQUEST, "the request has no Host header and the proxy has no --host");
            return;
        }
        upstreamUrl = config.scheme + "://" + target + req.uri();
        if (HttpUtil.is100ContinueExpected(req)) {
            // The proxy answers the expectation itself: the body is needed (streamed or hashed) either way.
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        if (config.unsignedPayload) {
            // Sign and connect now; body parts that arrive meanwhile wait in `pending`.
            ctx.channel().config().setAutoRead(false);
            signAndConnect(null);
        } else {
            collected = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
        }
    }

    private void onRequestContent(HttpContent content) {
        if (request == null || responseEnded) {
            content.release();
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestEnded = true;
            // Hold the next request back until this response has been sent.
            ctx.channel().config().setAutoRead(false);
        }
        if (collected != null) {
            collected.addComponent(true, content.content().retain());
            content.release();
            if (collected.readableBytes() > config.maxSignedBody) {
                collected.release();
                collected = null;
                keepAlive = false;
                fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "the body is larger than --max-signed-body ("
                        + config.maxSignedBody + " bytes), the most the proxy holds to hash it; use"
                        + " --unsigned-payload to stream it");
                return;
            }
            if (last) {
                byte[] body = ByteBufUtil.getBytes(collected);
                collected.release();
                collected = null;
                signAndConnect(body);
            }
            return;
        }
        if (!upstreamReady) {
            pending.add(content);
            return;
        }
        forward(content);
    }

    private void forward(HttpContent content) {
        bodyBytesSent += content.content().readableBytes();
        lastContentSent |= content instanceof LastHttpContent;
        upstream.writeAndFlush(content);
        if (!upstream.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** Resolves credentials and signs off the event loop, then connects from it. */
    private void signAndConnect(byte[] body) {
        HttpRequest req = request;
        String hostHeader = config.signHost != null ? config.signHost
                : config.host != null ? config.host : req.headers().get(HttpHeaderNames.HOST);
        CompletableFuture.supplyAsync(() -> {
            AwsCredentialsIdentity credentials = config.credentials.resolveCredentials();
            return signer.sign(req.method().name(), req.uri(), hostHeader, body, credentials);
        }, signing).whenComplete((signed, error) -> ctx.channel().eventLoop().execute(() -> {
            if (request != req) {
                return;
            }
            if (error != null) {
                Throwable cause = error.getCause() != null ? error.getCause() : error;
                fail(HttpResponseStatus.BAD_GATEWAY, "cannot sign the request: no usable AWS credentials ("
                        + oneLine(cause.getMessage()) + ")");
                return;
            }
            connect(req, hostHeader, signed, body);
        }));
    }

    private void connect(HttpRequest req, String hostHeader, Map<String, List<String>> signed, byte[] body) {
        String target = config.host != null ? config.host : req.headers().get(HttpHeaderNames.HOST);
        RequestSigner.HostAndPort address;
        try {
            address = RequestSigner.HostAndPort.parse(target, "https".equals(config.scheme) ? 443 : 80);
        } catch (RuntimeException e) {
            fail(HttpResponseStatus.BAD_REQUEST, "cannot read the upstream host '" + target + "'");
            return;
        }
        String connectHost = address.host().startsWith("[")
                ? address.host().substring(1, address.host().length() - 1) : address.host();
        String sniHost = RequestSigner.HostAndPort.parse(hostHeader, 443).host();
        String key = connectHost + "|" + address.port() + "|" + sniHost;
        signedHeaders = signed;
        signedBody = body;
        bodyBytesSent = 0;
        lastContentSent = false;
        String parkedKey = idleUpstreamKey;
        Channel parked = takeIdleUpstream();
        if (parked != null && parked.isActive() && key.equals(parkedKey)) {
            upstreamKey = key;
            upstreamReused = true;
            send(req, parked);
            return;
        }
        if (parked != null) {
            parked.close();
        }
        upstreamReused = false;
        Channel downstream = ctx.channel();
        Bootstrap bootstrap = new Bootstrap()
                .group(downstream.eventLoop())
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, config.connectTimeoutMillis)
                .option(ChannelOption.AUTO_READ, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(sniHost.startsWith("[") || sniHost.matches("[0-9.]+")
                                    ? tls.newHandler(ch.alloc())
                                    : tls.newHandler(ch.alloc(), sniHost, address.port()));
                        }
                        ch.pipeline().addLast(new HttpClientCodec());
                        ch.pipeline().addLast(new UpstreamHandler());
                    }
                });
        bootstrap.connect(connectHost, address.port()).addListener((ChannelFutureListener) f -> {
            if (request != req) {
                f.channel().close();
                return;
            }
            if (!f.isSuccess()) {
                fail(HttpResponseStatus.BAD_GATEWAY, "cannot connect to the upstream " + target + ": "
                        + oneLine(f.cause().getMessage()));
                return;
            }
            upstreamKey = key;
            send(req, f.channel());
        });
    }

    /** The upstream the connection in use reaches (host, port, server name), kept to park it after the request. */
    private String upstreamKey;
    /** A retry must send the request's end again: the failed connection took an empty one. */
    private boolean resendEmptyEnd;
    private boolean lastContentSent;

    /** Writes the signed request on {@code channel}, then whatever body has arrived, and lets the rest flow. */
    private void send(HttpRequest req, Channel channel) {
        upstream = channel;
        upstream.write(outgoing(req, signedHeaders, signedBody));
        if (signedBody != null) {
            bodyBytesSent = signedBody.length;
            upstream.writeAndFlush(new DefaultLastHttpContent(Unpooled.wrappedBuffer(signedBody)));
        } else {
            upstream.flush();
            upstreamReady = true;
            if (resendEmptyEnd) {
                resendEmptyEnd = false;
                forward(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            HttpContent content;
            while ((content = pending.poll()) != null) {
                forward(content);
            }
            if (!requestEnded && upstream.isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    /** Takes the parked upstream connection, if any, out of the park (its key in {@link #idleUpstreamKeyTaken}). */
    private Channel takeIdleUpstream() {
        Channel parked = idleUpstream;
        idleUpstream = null;
        idleUpstreamKey = null;
        if (idleUpstreamTimer != null) {
            idleUpstreamTimer.cancel(false);
            idleUpstreamTimer = null;
        }
        return parked;
    }

    /** Keeps the finished request's upstream connection for the next request, closing it if it stays unused. */
    private void park(Channel channel, String key) {
        idleUpstream = channel;
        idleUpstreamKey = key;
        channel.config().setAutoRead(true);
        idleUpstreamTimer = ctx.channel().eventLoop().schedule(() -> {
            if (idleUpstream == channel) {
                takeIdleUpstream().close();
            }
        }, config.idleConnTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * A reused connection that closes before any answer, with no body byte sent: the upstream closed it while idle
     * as the request went out, so it never acted on the request; send it once more on a new connection.
     */
    private boolean retryOnNewConnection() {
        if (!upstreamReused || responseStarted || bodyBytesSent > 0 || request == null) {
            return false;
        }
        Channel failed = upstream;
        upstream = null;
        upstreamReady = false;
        resendEmptyEnd = lastContentSent;
        lastContentSent = false;
        if (failed != null) {
            failed.close();
        }
        HttpRequest req = request;
        String hostHeader = config.signHost != null ? config.signHost
                : config.host != null ? config.host : req.headers().get(HttpHeaderNames.HOST);
        log.debug("{} {}: the reused upstream connection closed before answering; retrying on a new one",
                req.method(), upstreamUrl);
        connect(req, hostHeader, signedHeaders, signedBody);
        return true;
    }

    /** The request as it goes upstream: the caller's headers, less hop-by-hop and stripped ones, plus signed ones. */
    private HttpRequest outgoing(HttpRequest req, Map<String, List<String>> signed, byte[] body) {
        HttpHeaders in = req.headers();
        Set<String> connectionTokens = new HashSet<>();
        for (String value : in.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                connectionTokens.add(token.trim().toLowerCase(Locale.ROOT));
            }
        }
        DefaultHttpRequest out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri());
        HttpHeaders headers = out.headers();
        for (Map.Entry<String, String> header : in) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (!NOT_FORWARDED.contains(name) && !connectionTokens.contains(name) && !config.strip.contains(name)) {
                headers.add(header.getKey(), header.getValue());
            }
        }
        for (String duplicate : config.duplicateHeaders) {
            String value = in.get(duplicate);
            if (value != null) {
                headers.set("X-Original-" + duplicate, value);
            }
        }
        Set<String> signedNames = new HashSet<>();
        signed.forEach((name, values) -> {
            signedNames.add(name.toLowerCase(Locale.ROOT));
            headers.set(name, values);
        });
        config.customHeaders.forEach((name, value) -> {
            if (!signedNames.contains(name.toLowerCase(Locale.ROOT))) {
                headers.set(name, value);
            }
        });
        if (body != null) {
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
            if (body.length > 0 || in.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            }
        }
        return out;
    }

    private void onResponse(HttpResponse response) {
        if (response.status().code() == 100) {
            return;
        }
        responseStarted = true;
        responseStatus = response.status().code();
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        DefaultHttpResponse out = new DefaultHttpResponse(request.protocolVersion(), response.status());
        HttpHeaders headers = out.headers();
        headers.set(response.headers());
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove("proxy-connection");
        boolean framed = HttpUtil.isContentLengthSet(response) || HttpUtil.isTransferEncodingChunked(response);
        if (!framed && keepAlive) {
            if (request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
                HttpUtil.setTransferEncodingChunked(out, true);
            } else {
                keepAlive = false;
            }
        }
        HttpUtil.setKeepAlive(out, keepAlive);
        ctx.write(out);
    }

    private void onResponseContent(HttpContent content) {
        if (!responseStarted) {
            content.release();
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (last && config.verbose) {
            // Logged before the end goes out, so that a client holding its answer also finds the line logged.
            log.info("{} {} -> {} in {} ms", request.method(), upstreamUrl, responseStatus, elapsedMillis());
        }
        ctx.writeAndFlush(content);
        if (last) {
            finish();
        } else if (!ctx.channel().isWritable()) {
            upstream.config().setAutoRead(false);
        }
    }

    private void finish() {
        responseEnded = true;
        if (upstream != null) {
            // Reusable when the upstream keeps it and the whole request went out (a body cut short would not be).
            if (upstreamKeepAlive && requestEnded && keepAlive && upstream.isActive()
                    && !config.idleConnTimeout.isZero()) {
                park(upstream, upstreamKey);
            } else {
                upstream.close();
            }
            upstream = null;
        }
        resetRequest();
        if (!keepAlive) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            Object next;
            while (!(request != null && requestEnded) && (next = queued.poll()) != null) {
                channelRead(ctx, next);
            }
            if (request == null) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    private void resetRequest() {
        request = null;
        upstreamReady = false;
        upstreamKeepAlive = false;
        signedHeaders = null;
        signedBody = null;
        HttpContent content;
        while ((content = pending.poll()) != null) {
            content.release();
        }
        if (collected != null) {
            collected.release();
            collected = null;
        }
    }

    /** Answers the request in progress with {@code status} and a one-line reason, unless a response has started. */
    private void fail(HttpResponseStatus status, String reason) {
        if (request == null || responseEnded) {
            return;
        }
        if (responseStarted) {
            // Part of the response is out: all the client can be told is that it ends early.
            log.warn("{} {} -> response cut short: {}", request.method(), upstreamUrl, reason);
            if (upstream != null) {
                upstream.close();
            }
            resetRequest();
            ctx.close();
            return;
        }
        log.warn("{} {} -> {}: {} ({} ms)", request.method(), upstreamUrl == null ? request.uri() : upstreamUrl,
                status.code(), reason, elapsedMillis());
        byte[] body = ("sigv4-proxy: " + reason + "\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(), status,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        // The rest of the request body may still be on its way: close rather than read it.
        HttpUtil.setKeepAlive(response, false);
        responseStarted = true;
        responseEnded = true;
        if (upstream != null) {
            upstream.close();
            upstream = null;
        }
        resetRequest();
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private long elapsedMillis() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static String oneLine(String message) {
        return message == null ? "no detail" : message.replaceAll("[\\r\\n]+", " ");
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && upstream != null) {
            upstream.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (upstream != null) {
            upstream.close();
            upstream = null;
        }
        Channel parked = takeIdleUpstream();
        if (parked != null) {
            parked.close();
        }
        resetRequest();
        Object next;
        while ((next = queued.poll()) != null) {
            ReferenceCountUtil.release(next);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection failed: {}", cause.toString());
        ctx.close();
    }

    /** The upstream side of the request in progress; runs on the same event loop as the client connection. */
    private final class UpstreamHandler extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext upstreamCtx, Object msg) {
            if (upstreamCtx.channel() != upstream) {
                // Nothing is expected on a parked connection: whatever comes makes it unusable.
                ReferenceCountUtil.release(msg);
                if (upstreamCtx.channel() == idleUpstream) {
                    takeIdleUpstream().close();
                }
                return;
            }
            if (msg instanceof HttpResponse response) {
                if (response.decoderResult().isFailure()) {
                    ReferenceCountUtil.release(msg);
                    fail(HttpResponseStatus.BAD_GATEWAY, "the upstream's response is malformed: "
                            + oneLine(response.decoderResult().cause().getMessage()));
                    return;
                }
                onResponse(response);
            }
            if (msg instanceof HttpContent content) {
                onResponseContent(content);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext upstreamCtx) {
            if (upstreamCtx.channel() == upstream && upstreamCtx.channel().isWritable() && !requestEnded) {
                ctx.channel().config().setAutoRead(true);
            }
            upstreamCtx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext upstreamCtx) {
            if (upstreamCtx.channel() == idleUpstream) {
                takeIdleUpstream();
            } else if (upstreamCtx.channel() == upstream && !retryOnNewConnection()) {
                fail(HttpResponseStatus.BAD_GATEWAY, "the upstream closed the connection before it answered");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext upstreamCtx, Throwable cause) {
            if (upstreamCtx.channel() == upstream && !retryOnNewConnection()) {
                fail(HttpResponseStatus.BAD_GATEWAY, "the upstream connection failed: "
                        + oneLine(cause.getMessage() != null ? cause.getMessage() : cause.toString()));
            }
            upstreamCtx.close();
        }
    }
}
