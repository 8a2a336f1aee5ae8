package dev.trellis.gateway.http;

import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.passthrough.PassthroughSniHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AsciiString;

/**
 * The pipeline of a client connection accepted on one listener port:
 *
 * <pre>
 * ConnectionGuard → CleartextHttp2ServerUpgradeHandler ─┬→ HttpServerCodec → h2c upgrade → ClientExchangeHandler
 *                                                       └→ (prior knowledge, or after an upgrade)
 *                                                          Http2FrameCodec → Http2MultiplexHandler
 *                                                            → per stream: Http2StreamFrameToHttpObjectCodec
 *                                                                          → ClientExchangeHandler
 * </pre>
 *
 * HTTP/1.1 requests, HTTP/2 requests with prior knowledge and HTTP/2 after an {@code Upgrade: h2c} all end in the
 * same {@link ClientExchangeHandler} as HTTP objects.
 */
public final class GatewayChannelInitializer extends ChannelInitializer<Channel> {

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
        GatewayConfig config = context.config();
        ConnectionGuard guard = new ConnectionGuard(context);
        ch.attr(PipelineContext.LISTENER_PORT).set(listenerPort);
        ch.attr(PipelineContext.GUARD).set(guard);
        // Netty 4.2's decoder is strict by default (RFC 9112 framing, bare LF, duplicate Content-Length); the
        // limits are Trellis's.
        HttpServerCodec codec = new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(config.maxInitialLineLength())
                .setMaxHeaderSize(config.maxHeaderSize())
                .setAllowDuplicateContentLengths(false));
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
        ch.pipeline().addLast("guard", guard)
                .addLast("h2c", new CleartextHttp2ServerUpgradeHandler(codec, upgrade, priorKnowledge))
                .addLast("http1", new ClientExchangeHandler(context, false));
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
