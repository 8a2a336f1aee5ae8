package dev.trellis.gateway.http;

import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.passthrough.PassthroughSniHandler;
import dev.trellis.gateway.proxy.TargetRequestHeaders;
import dev.trellis.gateway.tls.SniCertificateHandler;
import dev.trellis.gateway.tls.TlsConnection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline of a client connection accepted on one listener port:
 *
 * <pre>
 * ConnectionGuard → PriorKnowledgeDetector ─┬→ ClientHttp1Codec → h2c upgrade → ClientExchangeHandler
 *                                            └→ (prior knowledge, or after an upgrade)
 *                                               Http2FrameCodec → Http2MultiplexHandler
 *                                                 → per stream: Http2StreamFrameToHttpObjectCodec
 *                                                               → ClientExchangeHandler
 * </pre>
 *
 * HTTP/1.1 requests, HTTP/2 requests with prior knowledge and HTTP/2 after an {@code Upgrade: h2c} all end in the
 * same {@link ClientExchangeHandler} as HTTP objects. HTTPS ports put TLS in front:
 *
 * <pre>
 * SniCertificateHandler (→ SslHandler of the SNI's certificate) → ConnectionGuard → ALPN ─┬→ h2: Http2FrameCodec → …
 *                                                                                         └→ http/1.1 (or no ALPN):
 *                                                                                            ClientHttp1Codec → ClientExchangeHandler
 * </pre>
 */
public final class GatewayChannelInitializer extends ChannelInitializer<Channel> {

    private static final Logger log = LoggerFactory.getLogger(GatewayChannelInitializer.class);

    /** The largest h2c upgrade request body buffered for the upgrade; larger requests stay on HTTP/1.1. */
    static final int MAX_UPGRADE_BODY = 64 * 1024;

    // HTTP/2 flood protections (DESIGN.md "Hostile input"). Netty's defaults today, set here so that a Netty
    // upgrade cannot change them silently; each is proven by a raw-frame test (GatewayHttp2FloodTest).
    /** Rapid reset (CVE-2023-44487): more RST_STREAMs than this from a client per window is GOAWAY(ENHANCE_YOUR_CALM). */
    static final int MAX_RST_FRAMES_PER_WINDOW = 200;
    static final int RST_WINDOW_SECONDS = 30;
    /** "MadeYouReset" (CVE-2025-55163): the gateway itself resets at most this many streams per window. */
    static final int MAX_SENT_RST_FRAMES_PER_WINDOW = 200;
    /** SETTINGS/PING floods by a peer that does not read: control frames (ACKs) queued unsent before GOAWAY. */
    static final int MAX_QUEUED_CONTROL_FRAMES = 10_000;
    /** Empty DATA frames in a row without END_STREAM (CVE-2019-9518). */
    static final int MAX_CONSECUTIVE_EMPTY_DATA_FRAMES = 2;
    /** CONTINUATION flood (CVE-2024-27316 style): small CONTINUATION frames allowed in one header block. */
    static final int MAX_SMALL_CONTINUATION_FRAMES = 16;

    private final PipelineContext context;
    private final int listenerPort;

    public GatewayChannelInitializer(PipelineContext context, int listenerPort) {
        this.context = context;
        this.listenerPort = listenerPort;
    }

    @Override
    protected void initChannel(Channel ch) {
        context.acceptedConnections().add(ch);
        if (context.snapshots().current().passthroughPorts().contains(listenerPort)) {
            // TLS_PASSTHROUGH listeners on this port: the ClientHello's SNI decides whether the connection is
            // spliced to a TCP target group or served by the pipeline below (DESIGN.md "TLS passthrough").
            ch.pipeline().addLast("sni", new PassthroughSniHandler(context, listenerPort, this::initTerminating));
            return;
        }
        initTerminating(ch);
    }

    /** The pipeline of a connection this gateway terminates: HTTP/1.1 and HTTP/2. */
    private void initTerminating(Channel ch) {
        ConnectionGuard guard = new ConnectionGuard(context);
        ch.attr(PipelineContext.LISTENER_PORT).set(listenerPort);
        ch.attr(PipelineContext.GUARD).set(guard);
        // The one place that picks a connection's protocol, from the listeners the current snapshot has on this
        // port. The guard sits above TLS (it sees requests, and its 408 goes out encrypted); a port with both
        // HTTP and HTTPS listeners (of different services) tells them apart by the first byte.
        GatewaySnapshot current = context.snapshots().current();
        boolean tls = current.tlsPorts().contains(listenerPort);
        boolean cleartext = current.cleartextPorts().contains(listenerPort);
        ChannelPipeline pipeline = ch.pipeline();
        if (tls && cleartext) {
            pipeline.addLast("detect", new TlsDetector()).addLast("guard", guard).addLast("flush", flushes());
        } else if (tls) {
            pipeline.addLast("guard", guard).addLast("flush", flushes());
            addTls(pipeline);
        } else {
            pipeline.addLast("guard", guard).addLast("flush", flushes());
            addCleartext(pipeline);
        }
    }

    /**
     * Every flush is a write. An HTTP/1.1 connection's flushes made while it reads wait for the end of the read
     * (a local answer to pipelined requests is one write). Its responses are written with one flush per target read
     * ({@code Exchange.onReadComplete}), so holding flushes made outside its reads would only add a task per
     * response and keep the response until the turn's other I/O is done (latency at moderate load). A connection
     * that turns out to speak HTTP/2 switches to {@link TurnFlushes} ({@link #consolidateForHttp2}): there the
     * responses of many streams arrive in one turn. Above the guard, so its own 408 is not delayed.
     */
    static FlushConsolidationHandler flushes() {
        return new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES,
                false);
    }

    /** The connection speaks HTTP/2 from now on: its streams' flushes go out once per loop turn. */
    static void consolidateForHttp2(ChannelPipeline pipeline) {
        if (pipeline.get("flush") != null) {
            pipeline.replace("flush", "flush", new TurnFlushes());
        }
    }

    /** HTTP/1.1 with keep-alive, HTTP/2 with prior knowledge or after an h2c upgrade (the HTTP listener's). */
    private void addCleartext(ChannelPipeline pipeline) {
        ClientHttp1Codec codec = httpCodec();
        HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(codec, protocol ->
                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                        ? new Http2ServerUpgradeCodec(http2Codec(), new Http2MultiplexHandler(streamInitializer()))
                        : null,
                MAX_UPGRADE_BODY, DefaultHttpHeadersFactory.headersFactory(),
                DefaultHttpHeadersFactory.trailersFactory(), true) {
            @Override
            protected boolean shouldHandleUpgradeRequest(HttpRequest request) {
                // An upgrade buffers the whole request: only small ones are upgraded, the rest stay HTTP/1.1.
                return !request.decoderResult().isFailure()
                        && !request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)
                        && HttpUtil.getContentLength(request, 0L) <= MAX_UPGRADE_BODY
                        && super.shouldHandleUpgradeRequest(request);
            }
        };
        ChannelInitializer<Channel> priorKnowledge = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel connection) {
                connection.pipeline().addLast(http2Codec(), new Http2MultiplexHandler(streamInitializer()));
            }
        };
        pipeline.addLast("h2c", new PriorKnowledgeDetector(codec, upgrade, priorKnowledge))
                .addLast("http1", new ClientExchangeHandler(context, false));
    }

    /**
     * HTTPS: the certificate is chosen by SNI from the current snapshot (below the guard), then ALPN picks
     * HTTP/2 or HTTP/1.1 (above it), and the connection continues as the cleartext one does after its protocol is
     * known — the same exchange handler, so routing, auth, rules and proxying are those of HTTP listeners.
     */
    private void addTls(ChannelPipeline pipeline) {
        pipeline.addBefore("guard", "sni", new SniCertificateHandler(() -> context.snapshots().current()
                .certificates()));
        pipeline.addLast("alpn", new AlpnHandler());
    }

    private ClientHttp1Codec httpCodec() {
        GatewayConfig config = context.config();
        // Netty 4.2's decoder is strict by default (RFC 9112 framing, bare LF, duplicate Content-Length); the
        // limits are Trellis's. Requests' headers are made as TargetRequestHeaders (validating where Netty's
        // decoder makes them; the common heads' parser validates as it parses), which an HTTP/1.1 target's head
        // takes on as they are.
        return new ClientHttp1Codec(new HttpDecoderConfig()
                .setHeadersFactory(TargetRequestHeaders.DECODED)
                .setMaxInitialLineLength(config.maxInitialLineLength())
                .setMaxHeaderSize(config.maxHeaderSize())
                .setAllowDuplicateContentLengths(false));
    }

    /** After the handshake: records what was negotiated and builds the HTTP/2 or HTTP/1.1 pipeline ALPN chose. */
    private final class AlpnHandler extends ApplicationProtocolNegotiationHandler {

        AlpnHandler() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            TlsConnection.record(ctx.channel(), ctx.pipeline().get(SslHandler.class));
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                ctx.channel().attr(PipelineContext.GUARD).get().switchedToHttp2();
                consolidateForHttp2(ctx.pipeline());
                ctx.pipeline().addLast(http2Codec(), new Http2MultiplexHandler(streamInitializer()));
            } else {
                ctx.pipeline().addLast("http1codec", httpCodec())
                        .addLast("http1", new ClientExchangeHandler(context, false));
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            // Scanners, old TLS versions, clients that distrust the certificate: normal traffic, not warnings.
            log.debug("{}: TLS handshake failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("{}: TLS connection failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /**
     * On a port with both HTTP and HTTPS listeners: a first byte of 0x16 (a TLS handshake record) means TLS,
     * anything else cleartext HTTP. Waits for that byte, then builds the matching pipeline and steps aside.
     */
    private final class TlsDetector extends ByteToMessageDecoder {
        private static final int TLS_HANDSHAKE_RECORD = 0x16;

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (!in.isReadable()) {
                return;
            }
            if (in.getUnsignedByte(in.readerIndex()) == TLS_HANDSHAKE_RECORD) {
                addTls(ctx.pipeline());
            } else {
                addCleartext(ctx.pipeline());
            }
            // Removing the decoder hands what it has buffered to the handler after it.
            ctx.pipeline().remove(this);
        }
    }

    private Http2FrameCodec http2Codec() {
        GatewayConfig config = context.config();
        return Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(config.maxConcurrentStreams())
                        .maxHeaderListSize(config.maxHeaderSize()))
                .validateHeaders(true)
                .decoderEnforceMaxRstFramesPerWindow(MAX_RST_FRAMES_PER_WINDOW, RST_WINDOW_SECONDS)
                .encoderEnforceMaxRstFramesPerWindow(MAX_SENT_RST_FRAMES_PER_WINDOW, RST_WINDOW_SECONDS)
                .encoderEnforceMaxQueuedControlFrames(MAX_QUEUED_CONTROL_FRAMES)
                .decoderEnforceMaxConsecutiveEmptyDataFrames(MAX_CONSECUTIVE_EMPTY_DATA_FRAMES)
                .decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATION_FRAMES)
                .build();
    }

    private ChannelInitializer<Http2StreamChannel> streamInitializer() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true),
                        new ClientExchangeHandler(context, true));
            }
        };
    }
}
