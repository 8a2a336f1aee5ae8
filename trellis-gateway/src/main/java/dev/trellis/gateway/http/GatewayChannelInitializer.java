package dev.trellis.gateway.http;

import dev.trellis.gateway.GatewayConfig;
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

    private final PipelineContext context;
    private final int listenerPort;

    public GatewayChannelInitializer(PipelineContext context, int listenerPort) {
        this.context = context;
        this.listenerPort = listenerPort;
    }

    @Override
    protected void initChannel(Channel ch) {
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
