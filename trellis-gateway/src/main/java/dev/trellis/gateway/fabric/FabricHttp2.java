package dev.trellis.gateway.fabric;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;
import io.netty.util.AsciiString;
import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/2 layer of a fabric connection, both ends: Netty's {@link Http2ConnectionHandler} (framing, HPACK, flow
 * control, SETTINGS, GOAWAY, and the builder's flood protections: rapid reset, empty DATA frames, queued control
 * frames, small CONTINUATIONs) with this class as its frame listener, dispatching HEADERS and DATA by stream id to
 * {@link FabricHttp2Stream}s in its own map.
 *
 * <p>Why not {@code Http2FrameCodec} + {@code Http2MultiplexHandler}: they made every forwarded request a child
 * channel (an {@code Http2StreamChannel} with its own pipeline, initializer, promises and an
 * {@code Http2StreamFrameToHttpObjectCodec} that copied every header into another {@code Headers} and added and
 * removed {@code x-http2-*} ones), on both gateways: the largest cost left per request (docs/benchmarks.md,
 * "seventh run"). Here a stream is one small object; headers are converted once each way, by the code below, which
 * also keeps HTTP/2's rules: lower-case names, no connection-specific headers ({@code Connection},
 * {@code Keep-Alive}, {@code Proxy-Connection}, {@code Transfer-Encoding}, {@code Upgrade}, {@code TE} other than
 * {@code trailers}), {@code Host} as {@code :authority}, {@code Cookie} crumbs joined with {@code "; "} (RFC 9113
 * §8.2.3).
 */
final class FabricHttp2 extends Http2ConnectionHandler implements Http2FrameListener {

    private static final Logger log = LoggerFactory.getLogger(FabricHttp2.class);

    /** Returned by {@link #toResponse} for a 1xx head, which the fabric does not pass on. */
    static final HttpResponse INFORMATIONAL = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE);

    private static final AsciiString HTTPS = AsciiString.cached("https");
    // The HPACK decoder has validated names and values (validateHeaders): no second validation on the copy.
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final HttpHeadersFactory TRAILERS = DefaultHttpHeadersFactory.trailersFactory()
            .withValidation(false);

    private final boolean server;
    /** Server side: makes the owner of a stream the peer opened. */
    private final Function<FabricHttp2Stream, FabricHttp2Stream.Handler> acceptor;
    private final IntObjectHashMap<FabricHttp2Stream> streams = new IntObjectHashMap<>();
    /** Streams that got something in the current read of the connection: told when the read is complete. */
    private final ArrayList<FabricHttp2Stream> readThisTurn = new ArrayList<>();
    /** Streams whose owners wait to hear they may write again (usually none). */
    private final ArrayList<FabricHttp2Stream> owed = new ArrayList<>(0);
    private Runnable onGoAway = () -> { };
    private ChannelHandlerContext ctx;

    private FabricHttp2(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
                        boolean server, Function<FabricHttp2Stream, FabricHttp2Stream.Handler> acceptor) {
        super(decoder, encoder, settings);
        this.server = server;
        this.acceptor = acceptor;
        decoder.frameListener(this);
        connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                FabricHttp2Stream closed = streams.remove(stream.id());
                if (closed != null) {
                    closed.closed(false);
                }
            }
        });
        encoder.flowController().listener(stream -> {
            FabricHttp2Stream changed = streams.get(stream.id());
            if (changed != null) {
                changed.writabilityChanged();
            }
        });
    }

    /** Builds both ends' handlers with the fabric's settings (the builder's methods are protected). */
    static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<FabricHttp2, Builder> {
        private final boolean server;
        private final Function<FabricHttp2Stream, FabricHttp2Stream.Handler> acceptor;

        private Builder(boolean server, Function<FabricHttp2Stream, FabricHttp2Stream.Handler> acceptor) {
            this.server = server;
            this.acceptor = acceptor;
            // Streams share the connection window evenly, without RFC 7540's priority tree (RFC 9113 retired it,
            // and neither end sends priorities): Netty's default distributor kept that tree up to date on every
            // stream's start and end, 1.7 % of the fabric's CPU.
            DefaultHttp2Connection connection = new DefaultHttp2Connection(server);
            connection.remote().flowController(new DefaultHttp2RemoteFlowController(connection,
                    new UniformStreamByteDistributor(connection)));
            connection(connection);
        }

        /**
         * Which end this is. The builder refuses {@code server()} together with {@code connection()}, and without it
         * takes every handler for a server's, whose flood limits on RST_STREAM frames sent and received it adds.
         */
        @Override
        protected boolean isServer() {
            return server;
        }

        /** The receiving gateway's end: {@code acceptor} makes the owner of each stream the peer opens. */
        static FabricHttp2 server(Function<FabricHttp2Stream, FabricHttp2Stream.Handler> acceptor) {
            return new Builder(true, acceptor)
                    .initialSettings(Http2Settings.defaultSettings()
                            .maxConcurrentStreams(FabricServer.MAX_CONCURRENT_STREAMS)
                            .initialWindowSize(FabricServer.STREAM_WINDOW)
                            .maxHeaderListSize(FabricServer.MAX_HEADER_LIST))
                    .validateHeaders(true)
                    .build();
        }

        /** The first hop's end; {@code onGoAway} runs when the peer sends GOAWAY. */
        static FabricHttp2 client(Runnable onGoAway) {
            FabricHttp2 handler = new Builder(false, null)
                    .initialSettings(Http2Settings.defaultSettings()
                            .pushEnabled(false)
                            .initialWindowSize(FabricServer.STREAM_WINDOW)
                            .maxHeaderListSize(FabricServer.MAX_HEADER_LIST))
                    // Streams beyond the peer's SETTINGS_MAX_CONCURRENT_STREAMS wait instead of failing.
                    .encoderEnforceMaxConcurrentStreams(true)
                    // x-trellis-fabric-request is new on every request: HPACK-indexing it would only push the
                    // values that repeat (the route, the caller) out of the 4 KiB dynamic table.
                    .headerSensitivityDetector((name, value) -> FabricHeaders.REQUEST.contentEqualsIgnoreCase(name))
                    .validateHeaders(true)
                    .build();
            handler.onGoAway = onGoAway;
            return handler;
        }

        @Override
        protected FabricHttp2 build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                    Http2Settings settings) {
            return new FabricHttp2(decoder, encoder, settings, server, acceptor);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
        // A paused stream keeps its unread bytes out of the connection window: make that window large.
        connection().local().flowController().incrementWindowSize(connection().connectionStream(),
                FabricServer.CONNECTION_WINDOW_INCREMENT);
        flush(ctx);
    }

    boolean isServer() {
        return server;
    }

    EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    /** A stream the first hop opens; its id is taken when its HEADERS are written. */
    FabricHttp2Stream newStream(FabricHttp2Stream.Handler handler) {
        FabricHttp2Stream stream = new FabricHttp2Stream(this, 0);
        stream.handler(handler);
        return stream;
    }

    // --- writes from streams ----------------------------------------------------------------------------------

    void writeHeaders(FabricHttp2Stream stream, Http2Headers headers, boolean endStream) {
        ChannelPromise promise = ctx.newPromise();
        if (stream.id == 0) {
            int id = connection().local().incrementAndGetNextStreamId();
            if (id < 0) {
                // Stream ids exhausted: this connection takes no new streams (GOAWAY from us would follow).
                stream.aborted = true;
                ctx.channel().eventLoop().execute(() -> stream.closed(true));
                return;
            }
            stream.id = id;
            streams.put(id, stream);
            promise.addListener(f -> {
                if (!f.isSuccess() && connection().stream(id) == null && streams.remove(id) != null) {
                    // Never opened (connection closed, GOAWAY, ...): the owner learns it outside the write
                    // call, as it would from a stream channel that failed to open.
                    stream.aborted = true;
                    ctx.channel().eventLoop().execute(() -> stream.closed(true));
                }
            });
        }
        encoder().writeHeaders(ctx, stream.id, headers, 0, endStream, promise);
    }

    void writeData(FabricHttp2Stream stream, ByteBuf data, boolean endStream) {
        if (stream.id == 0) {
            data.release();
            return;
        }
        encoder().writeData(ctx, stream.id, data, 0, endStream, ctx.newPromise());
    }

    void flush() {
        flush(ctx);
    }

    boolean isWritable(FabricHttp2Stream stream) {
        Http2Stream open = stream.id == 0 ? null : connection().stream(stream.id);
        if (open == null) {
            // Not sent yet, or waiting for a stream slot: only the socket can hold it back.
            return !stream.isClosed() && ctx.channel().isWritable();
        }
        return encoder().flowController().isWritable(open);
    }

    void reset(FabricHttp2Stream stream, Http2Error error) {
        stream.aborted = true;
        if (connection().stream(stream.id) == null) {
            if (!server && stream.id > connection().local().lastStreamCreated()) {
                // Still waiting for a stream slot: the (buffering) encoder forgets it; nothing goes on the wire.
                encoder().writeRstStream(ctx, stream.id, error.code(), ctx.newPromise());
            }
            // Otherwise it closed on the wire already and the owner is still taking what it held: no RST_STREAM
            // for a closed stream, just drop the rest.
            streams.remove(stream.id);
            stream.closed(true);
            return;
        }
        resetStream(ctx, stream.id, error.code(), ctx.newPromise());
        flush(ctx);
    }

    /** Gives {@code bytes} of a stream's DATA back to the peer's windows (WINDOW_UPDATE when due). */
    void consume(FabricHttp2Stream stream, int bytes) {
        Http2Stream open = connection().stream(stream.id);
        if (open == null) {
            return;
        }
        try {
            decoder().flowController().consumeBytes(open, bytes);
        } catch (Http2Exception e) {
            onError(ctx, false, e);
        }
    }

    /** {@code stream} told its owner "not writable": {@link #checkOwed()} tells it when that is over. */
    void owe(FabricHttp2Stream stream) {
        owed.add(stream);
    }

    /**
     * Tells the streams that owe their owners a "writable again" and are writable now. Runs when windows or the
     * socket may have opened (WINDOW_UPDATE, SETTINGS, channel writability, after the connection's flush); Netty's
     * own per-stream writability events also arrive, this only makes sure none is missed (a stream that was
     * refused while it waited to be opened has no flow-control state to change).
     */
    private void checkOwed() {
        for (int i = 0; i < owed.size(); ) {
            FabricHttp2Stream stream = owed.get(i);
            if (!stream.owesWritable || stream.isClosed()) {
                stream.owesWritable = false;
                owed.remove(i);
            } else if (isWritable(stream)) {
                owed.remove(i);
                stream.writabilityChanged();
            } else {
                i++;
            }
        }
    }

    void readThisTurn(FabricHttp2Stream stream) {
        readThisTurn.add(stream);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        // The streams first (the first hop flushes its clients), then HTTP/2's own flush (WINDOW_UPDATEs, writes).
        for (int i = 0; i < readThisTurn.size(); i++) {
            readThisTurn.get(i).readComplete();
        }
        readThisTurn.clear();
        super.channelReadComplete(ctx);
        if (!owed.isEmpty()) {
            checkOwed();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        super.channelWritabilityChanged(ctx);
        if (!owed.isEmpty()) {
            checkOwed();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        // The connection is gone: whatever paused streams still hold is dropped with them.
        streams.values().forEach(stream -> stream.aborted = true);
        super.channelInactive(ctx);
    }

    @Override
    protected void onConnectionError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
                                     Http2Exception http2Ex) {
        log.debug("fabric connection {} failed: {}", ctx.channel(), cause.toString(), cause);
        super.onConnectionError(ctx, outbound, cause, http2Ex);
    }

    @Override
    protected void onStreamError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
                                 Http2Exception.StreamException http2Ex) {
        log.debug("fabric stream {} of {} failed: {}", http2Ex.streamId(), ctx.channel(), cause.toString(), cause);
        super.onStreamError(ctx, outbound, cause, http2Ex);
    }

    // --- Http2FrameListener ----------------------------------------------------------------------------------

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
        FabricHttp2Stream stream = streams.get(streamId);
        if (stream == null) {
            return data.readableBytes() + padding;
        }
        return stream.onData(data, endOfStream) + padding;
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                              boolean endOfStream) {
        FabricHttp2Stream stream = streams.get(streamId);
        if (stream == null) {
            if (!server) {
                return;
            }
            // The decoder has opened the stream (it refuses HEADERS on closed ones): a new forwarded request.
            stream = new FabricHttp2Stream(this, streamId);
            streams.put(streamId, stream);
            stream.handler(acceptor.apply(stream));
        }
        stream.onHeaders(headers, endOfStream);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                              short weight, boolean exclusive, int padding, boolean endOfStream) {
        onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
        FabricHttp2Stream stream = streams.get(streamId);
        if (stream != null) {
            // Closed right after this: what a paused owner still holds is not wanted any more.
            stream.aborted = true;
        }
    }

    @Override
    public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
        if (!server) {
            onGoAway.run();
        }
    }

    @Override
    public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency, short weight,
                               boolean exclusive) {
    }

    @Override
    public void onSettingsAckRead(ChannelHandlerContext ctx) {
    }

    @Override
    public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
    }

    @Override
    public void onPingRead(ChannelHandlerContext ctx, long data) {
    }

    @Override
    public void onPingAckRead(ChannelHandlerContext ctx, long data) {
    }

    @Override
    public void onPushPromiseRead(ChannelHandlerContext ctx, int streamId, int promisedStreamId,
                                  Http2Headers headers, int padding) {
        // Push is disabled in our SETTINGS; the decoder refuses PUSH_PROMISE before it gets here.
    }

    @Override
    public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int windowSizeIncrement) {
    }

    @Override
    public void onUnknownFrame(ChannelHandlerContext ctx, byte frameType, int streamId, Http2Flags flags,
                               ByteBuf payload) {
    }

    // --- header conversion ------------------------------------------------------------------------------------

    /**
     * An HTTP/1 head in HTTP/2 form: pseudo-headers, then the headers with lower-case names and without the
     * connection-specific ones; {@code dropFabric} leaves out every {@code x-trellis-fabric-*} header (the first
     * hop then adds its own to the result).
     */
    static Http2Headers toHttp2(HttpMessage head, boolean dropFabric) {
        HttpHeaders in = head.headers();
        DefaultHttp2Headers out = new DefaultHttp2Headers(false, in.size() + 4);
        if (head instanceof HttpRequest request) {
            out.method(request.method().asciiName());
            out.path(request.uri());
            out.scheme(HTTPS);
            String host = in.get(HttpHeaderNames.HOST);
            if (host != null) {
                out.authority(host);
            }
        } else {
            out.status(((HttpResponse) head).status().codeAsText());
        }
        copy(in, out, dropFabric);
        return out;
    }

    static Http2Headers trailersToHttp2(HttpHeaders trailers) {
        DefaultHttp2Headers out = new DefaultHttp2Headers(false, trailers.size());
        copy(trailers, out, false);
        return out;
    }

    private static void copy(HttpHeaders in, Http2Headers out, boolean dropFabric) {
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            CharSequence name = lowerCase(header.getKey());
            CharSequence value = header.getValue();
            if (isConnectionSpecific(name, value) || dropFabric && FabricHeaders.isFabric(name)) {
                continue;
            }
            out.add(name, value);
        }
    }

    /** The name in lower case; allocates only when it has an upper-case letter (HTTP/1 clients send "Host"). */
    private static CharSequence lowerCase(CharSequence name) {
        if (name instanceof AsciiString ascii) {
            return ascii.toLowerCase();
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                return AsciiString.of(name).toLowerCase();
            }
        }
        return name;
    }

    private static boolean isConnectionSpecific(CharSequence name, CharSequence value) {
        if (HttpHeaderNames.TE.contentEquals(name)) {
            return !HttpHeaderValues.TRAILERS.contentEqualsIgnoreCase(value);
        }
        return HttpHeaderNames.HOST.contentEquals(name)
                || HttpHeaderNames.CONNECTION.contentEquals(name)
                || HttpHeaderNames.TRANSFER_ENCODING.contentEquals(name)
                || HttpHeaderNames.KEEP_ALIVE.contentEquals(name)
                || HttpHeaderNames.PROXY_CONNECTION.contentEquals(name)
                || HttpHeaderNames.UPGRADE.contentEquals(name);
    }

    /** A request head from the peer ({@code FullHttpRequest} when it ended the stream); null without :method/:path. */
    static HttpRequest toRequest(Http2Headers in, boolean endStream) {
        CharSequence method = in.method();
        CharSequence path = in.path();
        if (method == null || path == null) {
            return null;
        }
        HttpHeaders headers = toHttp1(in, HEADERS.newHeaders());
        HttpMethod httpMethod = HttpMethod.valueOf(method.toString());
        return endStream
                ? new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, httpMethod, path.toString(), Unpooled.EMPTY_BUFFER,
                        headers, EmptyHttpHeaders.INSTANCE)
                : new DefaultHttpRequest(HttpVersion.HTTP_1_1, httpMethod, path.toString(), headers);
    }

    /**
     * A response head from the peer ({@code FullHttpResponse} when it ended the stream), {@link #INFORMATIONAL} for
     * a 1xx, null without a valid :status.
     */
    static HttpResponse toResponse(Http2Headers in, boolean endStream) {
        CharSequence code = in.status();
        HttpResponseStatus status;
        try {
            status = code == null ? null : HttpResponseStatus.parseLine(code);
        } catch (IllegalArgumentException e) {
            status = null;
        }
        if (status == null || status.code() < 100 || status.code() > 999) {
            return null;
        }
        if (status.codeClass() == HttpStatusClass.INFORMATIONAL) {
            return INFORMATIONAL;
        }
        HttpHeaders headers = toHttp1(in, HEADERS.newHeaders());
        return endStream
                ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER, headers,
                        EmptyHttpHeaders.INSTANCE)
                : new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, headers);
    }

    static HttpHeaders toTrailers(Http2Headers in) {
        return toHttp1(in, TRAILERS.newHeaders());
    }

    /** The regular headers; {@code :authority} as {@code Host}; {@code Cookie} crumbs joined (RFC 9113 §8.2.3). */
    private static HttpHeaders toHttp1(Http2Headers in, HttpHeaders out) {
        CharSequence authority = in.authority();
        if (authority != null) {
            out.add(HttpHeaderNames.HOST, authority);
        }
        CharSequence cookie = null;
        StringBuilder cookies = null;
        for (Map.Entry<CharSequence, CharSequence> header : in) {
            CharSequence name = header.getKey();
            if (name.length() > 0 && name.charAt(0) == ':') {
                continue;
            }
            if (HttpHeaderNames.COOKIE.contentEquals(name)) {
                if (cookie == null) {
                    cookie = header.getValue();
                } else {
                    if (cookies == null) {
                        cookies = new StringBuilder(cookie);
                    }
                    cookies.append("; ").append(header.getValue());
                }
                continue;
            }
            out.add(name, header.getValue());
        }
        if (cookie != null) {
            out.add(HttpHeaderNames.COOKIE, cookies != null ? cookies.toString() : cookie);
        }
        return out;
    }
}
