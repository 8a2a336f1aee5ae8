package dev.trellis.gateway.http;

import dev.trellis.gateway.proxy.Http1Heads;
import dev.trellis.gateway.proxy.HttpTypes;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The HTTP/1.1 codec of a client connection: what Netty's {@code HttpServerCodec} does, with the common request
 * heads parsed by {@link RequestHeadParser} and every other message by Netty's request decoder.
 *
 * <p>As {@code HttpServerCodec}: the response to a HEAD request has no body and a 2xx to CONNECT no
 * Transfer-Encoding (the encoder takes each response's request method from a queue the decoder fills); at most
 * {@value #MAX_PIPELINE_DEPTH} requests wait for their responses, and past that the decoder discards the rest and
 * the connection closes after the next response. {@code HttpServerCodec} also closes after answering a request with
 * both Transfer-Encoding and Content-Length; under RFC 9112, Netty 4.2's default, the decoder refuses such a request
 * instead. It is a codec of its own (not {@code HttpServerCodec}, which is final and makes its own decoder) only for
 * the parser.
 */
final class ClientHttp1Codec extends CombinedChannelDuplexHandler<ClientHttp1Codec.RequestDecoder,
        ClientHttp1Codec.ResponseEncoder> implements HttpServerUpgradeHandler.SourceCodec {

    /** Requests decoded and not yet answered, at most (Netty's default for {@code HttpServerCodec}). */
    static final int MAX_PIPELINE_DEPTH = 128;

    /** The methods of the requests decoded and not yet answered, oldest first. */
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(8);
    private boolean mustCloseAfterResponse;

    ClientHttp1Codec(HttpDecoderConfig config) {
        init(new RequestDecoder(config), new ResponseEncoder());
    }

    @Override
    public void upgradeFrom(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
    }

    final class RequestDecoder extends HttpRequestDecoder {

        private final int maxInitialLineLength;
        private final int maxHeaderSize;
        /** True when Netty's decoder is between messages (holds no part of one), so the parser may take the next. */
        private boolean betweenMessages = true;
        private boolean discard;

        RequestDecoder(HttpDecoderConfig config) {
            super(config);
            this.maxInitialLineLength = config.getMaxInitialLineLength();
            this.maxHeaderSize = config.getMaxHeaderSize();
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            if (discard) {
                buffer.skipBytes(buffer.readableBytes());
                return;
            }
            int first = out.size();
            HttpRequest common = betweenMessages
                    ? RequestHeadParser.parse(buffer, maxInitialLineLength, maxHeaderSize) : null;
            if (common != null) {
                out.add(common);
                out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                super.decode(ctx, buffer, out);
                betweenMessages = Http1Heads.endedAMessage(out, first);
            }
            for (int i = first; i < out.size(); i++) {
                Object msg = out.get(i);
                if (HttpTypes.isRequest(msg) && !enqueue(((HttpRequest) msg).method())) {
                    // As HttpServerCodec: drop what was decoded and all that follows; close after the next response.
                    mustCloseAfterResponse = true;
                    discard = true;
                    for (int j = i; j < out.size(); j++) {
                        ReferenceCountUtil.release(out.get(j));
                    }
                    out.clear();
                    throw new IllegalStateException("maxPipelineDepth exceeded: " + MAX_PIPELINE_DEPTH);
                }
            }
        }
    }

    private boolean enqueue(HttpMethod method) {
        if (methods.size() >= MAX_PIPELINE_DEPTH) {
            return false;
        }
        methods.add(method);
        return true;
    }

    final class ResponseEncoder extends HttpResponseEncoder {

        /** The method of the request the response being encoded answers (null: none known). */
        private HttpMethod method;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (mustCloseAfterResponse && HttpTypes.isLast(msg)) {
                mustCloseAfterResponse = false;
                promise = promise.unvoid().addListener(ChannelFutureListener.CLOSE);
            }
            super.write(ctx, msg, promise);
        }

        @Override
        protected void sanitizeHeadersBeforeEncode(HttpResponse msg, boolean isAlwaysEmpty) {
            if (!isAlwaysEmpty && HttpMethod.CONNECT.equals(method)
                    && msg.status().codeClass() == HttpStatusClass.SUCCESS) {
                // A 2xx to CONNECT switches to a tunnel: it has no body framing (RFC 9110 9.3.6).
                msg.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
                return;
            }
            super.sanitizeHeadersBeforeEncode(msg, isAlwaysEmpty);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            if (msg.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                // A 1xx answers no request of its own: the request's method stays for its final response.
                return super.isContentAlwaysEmpty(msg);
            }
            method = methods.poll();
            return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(msg);
        }
    }
}
