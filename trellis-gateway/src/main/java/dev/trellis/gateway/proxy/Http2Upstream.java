package dev.trellis.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.function.BiConsumer;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/2 connection from the gateway to one target (h2c with prior knowledge, or h2 over TLS), owned by one
 * event loop's {@link UpstreamPool} and multiplexed: every exchange gets a stream of its own, as an
 * {@link UpstreamConnection} on an {@code Http2StreamChannel} whose {@code Http2StreamFrameToHttpObjectCodec}
 * turns frames into the same {@code HttpResponse}/{@code HttpContent} objects an HTTP/1.1 connection yields. That
 * is how an HTTP/1.1 client's request reaches an HTTP/2 target: the exchange does not know which it has.
 *
 * <p>At most {@code limit} streams at once (the smaller of {@code GatewayConfig.maxUpstreamStreamsPerConnection} and
 * the target's {@code SETTINGS_MAX_CONCURRENT_STREAMS}); the pool opens another connection when every one is full.
 * A connection closes after {@code upstreamIdleTimeout} without streams, and takes no new streams after a GOAWAY.
 *
 * <p>Flow control is HTTP/2's, driven by autoRead on the stream channels (exchanges switch it off while their
 * client is slow: no WINDOW_UPDATE then), with a stream window of 256 KiB and a 16 MiB connection window so that
 * one paused stream does not stall the others.
 */
final class Http2Upstream extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(Http2Upstream.class);

    static final int STREAM_WINDOW = 256 * 1024;
    private static final int CONNECTION_WINDOW_INCREMENT = 16 * 1024 * 1024 - 65_535;
    /** Response heads from targets may be larger than what the gateway accepts from clients (as over HTTP/1.1). */
    private static final int MAX_HEADER_LIST = 64 * 1024;

    private enum State { CONNECTING, READY, CLOSED }

    private final UpstreamPool pool;
    private final EventLoop loop;
    private final UpstreamPool.Key key;
    private final int configuredLimit;
    private final long idleTimeoutMillis;
    private final long handshakeTimeoutMillis;
    private final ArrayDeque<BiConsumer<UpstreamConnection, Throwable>> waiting = new ArrayDeque<>();
    private Channel channel;
    private Http2FrameCodec codec;
    private State state = State.CONNECTING;
    private int streams;
    private boolean used;
    private ScheduledFuture<?> idleClose;

    Http2Upstream(UpstreamPool pool, EventLoop loop, UpstreamPool.Key key, int configuredLimit,
                  long idleTimeoutMillis, long handshakeTimeoutMillis) {
        this.pool = pool;
        this.loop = loop;
        this.key = key;
        this.configuredLimit = configuredLimit;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    /** The connection's pipeline: TLS (for HTTPS groups), the frame codec, the stream multiplexer, this. */
    ChannelInitializer<Channel> initializer() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                channel = ch;
                if (key.transport().tls()) {
                    ch.pipeline().addLast("tls", UpstreamTls.newHandler(ch.alloc(), key.address(), true,
                            handshakeTimeoutMillis));
                }
                codec = Http2FrameCodecBuilder.forClient()
                        .initialSettings(Http2Settings.defaultSettings()
                                .pushEnabled(false)
                                .initialWindowSize(STREAM_WINDOW)
                                .maxHeaderListSize(MAX_HEADER_LIST))
                        // Streams beyond the target's SETTINGS_MAX_CONCURRENT_STREAMS wait instead of failing.
                        .encoderEnforceMaxConcurrentStreams(true)
                        .validateHeaders(true)
                        .build();
                ch.pipeline().addLast("h2", codec)
                        .addLast("streams", new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel pushed) {
                                pushed.close();
                            }
                        }))
                        .addLast("connection", Http2Upstream.this);
            }
        };
    }

    /** TCP is up (h2c), or the TLS handshake finished (h2): streams can be opened. */
    void ready() {
        if (state != State.CONNECTING) {
            return;
        }
        if (key.transport().tls()) {
            String alpn = channel.pipeline().get(SslHandler.class).applicationProtocol();
            if (alpn != null && !alpn.equals(ApplicationProtocolNames.HTTP_2)) {
                failed(new IllegalStateException("the target negotiated " + alpn + ", not h2"));
                return;
            }
            // No ALPN answer at all: the group says HTTP/2, so speak it (prior knowledge over TLS).
        }
        // A paused stream keeps its unread bytes out of the connection window: make that window large.
        channel.writeAndFlush(new DefaultHttp2WindowUpdateFrame(CONNECTION_WINDOW_INCREMENT));
        state = State.READY;
        BiConsumer<UpstreamConnection, Throwable> next;
        while ((next = waiting.poll()) != null) {
            open(next);
        }
    }

    /** Connecting or the handshake failed: every waiting exchange hears of it. */
    void failed(Throwable cause) {
        state = State.CLOSED;
        pool.forget(this);
        BiConsumer<UpstreamConnection, Throwable> next;
        while ((next = waiting.poll()) != null) {
            next.accept(null, cause);
        }
        if (channel != null) {
            channel.close();
        }
    }

    /** True while this connection can take one more stream (now, or once it is ready). */
    boolean hasRoom() {
        return state != State.CLOSED && streams + waiting.size() < limit();
    }

    private int limit() {
        int peer = codec == null ? Integer.MAX_VALUE : codec.connection().local().maxActiveStreams();
        return Math.max(1, Math.min(configuredLimit, peer));
    }

    /** Gives {@code done} a new stream of this connection (once it is ready), or the failure. */
    void acquire(BiConsumer<UpstreamConnection, Throwable> done) {
        if (state == State.READY) {
            open(done);
        } else {
            waiting.add(done);
        }
    }

    private void open(BiConsumer<UpstreamConnection, Throwable> done) {
        streams++;
        if (idleClose != null) {
            idleClose.cancel(false);
            idleClose = null;
        }
        UpstreamConnection connection = new UpstreamConnection(pool, key, this, used);
        used = true;
        Future<Http2StreamChannel> open = new Http2StreamChannelBootstrap(channel)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false, true), connection);
                    }
                })
                .open();
        open.addListener(f -> {
            if (f.isSuccess()) {
                done.accept(connection, null);
            } else {
                streamClosed();
                done.accept(null, f.cause());
            }
        });
    }

    /** A stream of this connection ended (its channel closed). */
    void streamClosed() {
        streams--;
        if (streams == 0 && state == State.READY) {
            idleClose = loop.schedule(() -> {
                if (streams == 0) {
                    channel.close();
                }
            }, idleTimeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    UpstreamPool.Key key() {
        return key;
    }

    // --- connection-level events, after the multiplexer ----------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2GoAwayFrame) {
            // Streams in progress finish; new exchanges go to another connection.
            state = State.CLOSED;
            pool.forget(this);
        }
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state == State.CONNECTING) {
            failed(new IllegalStateException("the connection to the target closed before HTTP/2 was ready"));
        }
        state = State.CLOSED;
        pool.forget(this);
        if (idleClose != null) {
            idleClose.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("HTTP/2 connection to {} failed: {}", key.address(), cause.toString());
        if (state == State.CONNECTING) {
            failed(cause);
        }
        ctx.close();
    }

    @Override
    public String toString() {
        return "Http2Upstream[" + key.address() + ", " + state + ", " + streams + " streams]";
    }

    InetSocketAddress address() {
        return key.address();
    }
}
