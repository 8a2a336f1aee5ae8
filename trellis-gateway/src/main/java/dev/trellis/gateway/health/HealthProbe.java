package dev.trellis.gateway.health;

import dev.trellis.gateway.GatewayTransport;
import dev.trellis.gateway.proxy.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One health check: a new connection to the target (Lattice closes it after each check, facts §5), one
 * {@code GET <path>}, the response status against the matcher, close. Everything runs on the given event loop
 * with Netty's non-blocking client; the result completes a promise of that loop.
 *
 * <p>The request carries {@code Host: <ip>:<port>} (the target's address; Lattice's value is unconfirmed),
 * {@code User-Agent: Trellis-HealthChecker/1.0} and, over HTTP/1.1, {@code Connection: close}. Only the response
 * head is read: the body does not matter and the connection is closed right away.
 */
final class HealthProbe {

    static final String USER_AGENT = "Trellis-HealthChecker/1.0";

    private HealthProbe() {
    }

    /**
     * Checks {@code address} once.
     *
     * @param timeoutNanos the whole check, connect included; a longer one fails with {@link ProbeResult#TIMEOUT}
     */
    static Future<ProbeResult> run(EventLoop loop, InetSocketAddress address, HealthCheckSettings settings,
                                   long timeoutNanos) {
        Promise<ProbeResult> result = loop.newPromise();
        String authority = authority(address);
        ChannelFuture connect = new Bootstrap()
                .group(loop)
                .channel(GatewayTransport.of(loop).socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, Math.min(Integer.MAX_VALUE,
                        TimeUnit.NANOSECONDS.toMillis(timeoutNanos))))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(transport(settings, address, authority, result))
                .connect(address);
        Channel channel = connect.channel();
        ScheduledFuture<?> deadline = loop.schedule(() -> {
            result.trySuccess(ProbeResult.fail(ProbeResult.TIMEOUT, "no answer within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"));
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                Throwable cause = f.cause();
                result.trySuccess(cause instanceof ConnectTimeoutException
                        ? ProbeResult.fail(ProbeResult.TIMEOUT, "connect timed out")
                        : ProbeResult.fail(ProbeResult.FAILED, "connect failed: " + cause.getMessage()));
            }
        });
        result.addListener(f -> {
            deadline.cancel(false);
            channel.close();
        });
        return result;
    }

    /**
     * The one place that decides what a probe's connection speaks: HTTP/1.1 or HTTP/2 with prior knowledge, behind
     * an {@code SslHandler} for HTTPS checks (no certificate validation, no SNI, ALPN naming the one protocol the
     * settings ask for; {@code UpstreamTls}, the same TLS the gateway uses for traffic to targets). A failed
     * handshake reaches the probe handler as an exception: {@link ProbeResult#FAILED}.
     */
    private static ChannelHandler transport(HealthCheckSettings settings, InetSocketAddress address,
                                            String authority, Promise<ProbeResult> result) {
        HealthCheckSettings.Transport transport = settings.transport();
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (transport.tls()) {
                    ch.pipeline().addLast(UpstreamTls.newHandler(ch.alloc(), address, transport.http2()));
                }
                if (transport.http2()) {
                    ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                            new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                            new Http2ConnectionProbe(settings, authority, transport.tls() ? "https" : "http",
                                    result));
                } else {
                    ch.pipeline().addLast(new HttpClientCodec(4096, 8192, 8192),
                            new Http1Probe(settings, authority, result));
                }
            }
        };
    }

    private static String authority(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private static ProbeResult judge(HealthCheckSettings settings, int status) {
        return settings.matcher().matches(status) ? ProbeResult.pass(status)
                : ProbeResult.fail(ProbeResult.CODE_MISMATCH, "answered " + status + ", expected "
                        + settings.matcher());
    }

    /**
     * What the three probe handlers share: the check's settings and the target's authority, the promise they
     * complete (first answer wins: {@code trySuccess}), and failing on an exception or a request that could not be
     * sent.
     */
    private abstract static class ProbeHandler extends ChannelInboundHandlerAdapter {
        final HealthCheckSettings settings;
        final String authority;
        final Promise<ProbeResult> result;

        ProbeHandler(HealthCheckSettings settings, String authority, Promise<ProbeResult> result) {
            this.settings = settings;
            this.authority = authority;
            this.result = result;
        }

        final void fail(String why) {
            result.trySuccess(ProbeResult.fail(ProbeResult.FAILED, why));
        }

        /** Fails the check when {@code write} (the request) could not be sent. */
        final void failUnlessSent(Future<?> write) {
            write.addListener(f -> {
                if (!f.isSuccess()) {
                    fail("could not send: " + f.cause());
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause.toString());
            ctx.close();
        }
    }

    /** HTTP/1.1: sends the request when connected, judges the first final response head. */
    private static final class Http1Probe extends ProbeHandler {

        Http1Probe(HealthCheckSettings settings, String authority, Promise<ProbeResult> result) {
            super(settings, authority, result);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                    settings.path());
            request.headers()
                    .set(HttpHeaderNames.HOST, authority)
                    .set(HttpHeaderNames.USER_AGENT, USER_AGENT)
                    .set(HttpHeaderNames.ACCEPT, "*/*")
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            failUnlessSent(ctx.writeAndFlush(request));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse response) {
                    if (response.decoderResult().isFailure()) {
                        fail("not an HTTP response: " + response.decoderResult().cause().getMessage());
                    } else if (response.status().code() >= 200) {
                        result.trySuccess(judge(settings, response.status().code()));
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail("connection closed before a response");
        }
    }

    /**
     * HTTP/2, on the connection: opens the one stream when connected (the codec has sent the preface), and turns
     * connection-level trouble into a failure. Frames for the connection itself (SETTINGS, PING, GOAWAY) end here.
     */
    private static final class Http2ConnectionProbe extends ProbeHandler {
        private final String scheme;

        Http2ConnectionProbe(HealthCheckSettings settings, String authority, String scheme, Promise<ProbeResult> result) {
            super(settings, authority, result);
            this.scheme = scheme;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.fireChannelActive();
            Future<Http2StreamChannel> open = new Http2StreamChannelBootstrap(ctx.channel())
                    .handler(new Http2StreamProbe(settings, authority, scheme, result))
                    .open();
            open.addListener(f -> {
                if (!f.isSuccess()) {
                    fail("could not open a stream: " + f.cause());
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail("connection closed before a response");
        }
    }

    /** HTTP/2, on the stream: sends the request headers (END_STREAM), judges the first final response head. */
    private static final class Http2StreamProbe extends ProbeHandler {
        private final String scheme;

        Http2StreamProbe(HealthCheckSettings settings, String authority, String scheme, Promise<ProbeResult> result) {
            super(settings, authority, result);
            this.scheme = scheme;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Http2Headers headers = new DefaultHttp2Headers()
                    .method("GET")
                    .scheme(scheme)
                    .authority(authority)
                    .path(settings.path());
            headers.set(HttpHeaderNames.USER_AGENT, USER_AGENT);
            headers.set(HttpHeaderNames.ACCEPT, "*/*");
            failUnlessSent(ctx.writeAndFlush(new DefaultHttp2HeadersFrame(headers, true)));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame frame) {
                    CharSequence status = frame.headers().status();
                    int code = parseStatus(status);
                    if (code < 0) {
                        fail("response without a valid :status (" + status + ")");
                    } else if (code >= 200) {
                        result.trySuccess(judge(settings, code));
                    }
                } else if (msg instanceof Http2ResetFrame reset) {
                    fail("stream reset (" + reset.errorCode() + ")");
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private static int parseStatus(CharSequence status) {
            if (status == null || status.length() != 3) {
                return -1;
            }
            int code = 0;
            for (int i = 0; i < 3; i++) {
                char c = status.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                code = code * 10 + (c - '0');
            }
            return code;
        }
    }
}
