package dev.trellis.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The HTTP/1.1 codec of a connection to a target: Netty's request encoder and response decoder, paired as Netty's
 * {@code HttpClientCodec} pairs them (each response is matched with its request's method: the response to a HEAD
 * has no body whatever its headers say, a 200 to a CONNECT ends HTTP on the connection), with two differences in
 * how a request head's headers are written: each name and value as bytes in one or two array copies, and, for
 * {@link TargetRequestHeaders}, their pre-encoded {@link TargetRequestHeaders#lines} after the others.
 *
 * <p>Not carried over from {@code HttpClientCodec}: counting missing responses on close (the exchange sees the
 * close itself) and the HTTP upgrade (the gateway does not upgrade its target connections).
 */
public final class Http1TargetCodec extends CombinedChannelDuplexHandler<HttpResponseDecoder, HttpRequestEncoder> {

    private static final int SCRATCH_BYTES = 512;
    private static final int COLON_SPACE = (':' << 8) | ' ';
    private static final int CRLF = ('\r' << 8) | '\n';

    /** The methods of the requests sent whose responses have not begun yet, oldest first. */
    private final ArrayDeque<HttpMethod> awaiting = new ArrayDeque<>(2);
    /** True after a CONNECT was answered 200: what follows is the tunnel's bytes, passed on as they come. */
    private boolean tunnel;
    /** When the read being decoded arrived ({@code System.nanoTime}); 0 between reads. */
    private long readNanos;

    public Http1TargetCodec(HttpDecoderConfig config) {
        init(new ResponseDecoder(config), new RequestEncoder());
    }

    /**
     * When the read being decoded arrived ({@code System.nanoTime}), or 0 outside a read: one clock read that what
     * the read delivers shares (the response's head, its end, the connection's return to the pool).
     */
    long readNanos() {
        return readNanos;
    }

    private final class RequestEncoder extends HttpRequestEncoder {

        /** A value's bytes on their way to the buffer; longer values are copied into an array of their own. */
        private final byte[] scratch = new byte[SCRATCH_BYTES];

        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (HttpTypes.isRequest(msg)) {
                awaiting.add(((HttpRequest) msg).method());
            }
            super.encode(ctx, msg, out);
        }

        /**
         * As Netty's encoder writes them ({@code name: value\r\n} in the map's order), but each name and value as
         * one or two array copies: Netty writes a {@code String} a character at a time, and a signed request's
         * values alone are some 300 characters (Authorization, X-Amz-Date, the payload hash). {@code
         * TargetCodecBenchmark} measures the difference (docs/benchmarks.md, eighteenth run).
         */
        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
                Map.Entry<CharSequence, CharSequence> header = it.next();
                writeOctets(header.getKey(), buf);
                buf.writeShort(COLON_SPACE);
                writeOctets(header.getValue(), buf);
                buf.writeShort(CRLF);
            }
            if (headers instanceof TargetRequestHeaders target) {
                buf.writeBytes(target.lines().encoded());
            }
        }

        /**
         * Writes a header's name or value. Every {@code String} here holds octets, one per character: the HTTP/1.1
         * decoder made it from bytes, or the gateway from ASCII (HTTP/2 heads arrive as {@link AsciiString}s). Its
         * characters' low bytes are then its bytes, which {@code String.getBytes(int, int, byte[], int)} copies as
         * one array copy (deprecated for dropping high bytes, which octets do not have; trellis-auth's {@code
         * OctetBuffer} copies the same way).
         */
        @SuppressWarnings("deprecation")
        private void writeOctets(CharSequence text, ByteBuf buf) {
            if (text instanceof AsciiString ascii) {
                buf.writeBytes(ascii.array(), ascii.arrayOffset(), ascii.length());
            } else if (text instanceof String string) {
                int length = string.length();
                byte[] bytes = length <= scratch.length ? scratch : new byte[length];
                string.getBytes(0, length, bytes, 0);
                buf.writeBytes(bytes, 0, length);
            } else {
                buf.writeCharSequence(text, StandardCharsets.ISO_8859_1);
            }
        }
    }

    private final class ResponseDecoder extends HttpResponseDecoder {

        ResponseDecoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            readNanos = System.nanoTime() | 1; // never 0, which means "no read in progress"
            try {
                super.channelRead(ctx, msg);
            } finally {
                readNanos = 0;
            }
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            if (tunnel) {
                int readable = actualReadableBytes();
                if (readable > 0) {
                    out.add(buffer.readRetainedSlice(readable));
                }
                return;
            }
            super.decode(ctx, buffer, out);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            HttpResponse response = (HttpResponse) msg;
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                // 1xx: an interim response; the final one is still to come for the same request.
                return super.isContentAlwaysEmpty(msg);
            }
            HttpMethod method = awaiting.poll();
            if (HttpMethod.HEAD.equals(method)) {
                return true;
            }
            if (HttpMethod.CONNECT.equals(method) && response.status().code() == 200) {
                tunnel = true;
                awaiting.clear();
                return true;
            }
            return super.isContentAlwaysEmpty(msg);
        }
    }
}
