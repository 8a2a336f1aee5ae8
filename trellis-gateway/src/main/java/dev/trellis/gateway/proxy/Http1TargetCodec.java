package dev.trellis.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The HTTP/1.1 codec of a connection to a target: Netty's request encoder and response decoder, paired as Netty's
 * {@code HttpClientCodec} pairs them (each response is matched with its request's method: the response to a HEAD
 * has no body whatever its headers say, a 200 to a CONNECT ends HTTP on the connection), with two differences in
 * how a request head's headers are written: each name and value as bytes in one or two array copies, and, for
 * {@link TargetRequestHeaders}, their pre-encoded {@link TargetRequestHeaders#lines} after the others; and the common
 * responses, whole in the buffer, are decoded in one pass ({@link Http1Heads}), every other one by Netty's decoder.
 *
 * <p>Not carried over from {@code HttpClientCodec}: counting missing responses on close (the exchange sees the
 * close itself) and the HTTP upgrade (the gateway does not upgrade its target connections).
 */
public final class Http1TargetCodec extends CombinedChannelDuplexHandler<HttpResponseDecoder, HttpRequestEncoder> {

    private static final int SCRATCH_BYTES = 512;
    /** The shortest response there is: {@code HTTP/1.1 200 X} CRLF CRLF. */
    private static final int SHORTEST_RESPONSE = 18;
    private static final byte[] HTTP_1_ = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);
    /** For the heads of common responses: their fields were checked as they were read (Http1Heads). */
    private static final DefaultHttpHeadersFactory UNVALIDATED =
            DefaultHttpHeadersFactory.headersFactory().withValidation(false);
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

        private final int maxInitialLineLength;
        private final int maxHeaderSize;
        private final int maxChunkSize;
        /** True when Netty's decoder is between messages (holds no part of one), so the next may be taken here. */
        private boolean betweenMessages = true;

        ResponseDecoder(HttpDecoderConfig config) {
            super(config);
            this.maxInitialLineLength = config.getMaxInitialLineLength();
            this.maxHeaderSize = config.getMaxHeaderSize();
            this.maxChunkSize = config.getMaxChunkSize();
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
            if (betweenMessages && decodeCommon(buffer, out)) {
                return;
            }
            int first = out.size();
            super.decode(ctx, buffer, out);
            betweenMessages = Http1Heads.endedAMessage(out, first);
        }

        /**
         * The common response, whole in the buffer, decoded in one pass ({@link Http1Heads}): {@code HTTP/1.x},
         * a final status other than 204 and 304, a reason phrase, common header lines, one Content-Length of at
         * most a chunk and all of its body there, answering neither HEAD nor CONNECT. False, nothing consumed,
         * for anything else, which Netty's decoder then decodes ({@code Http1TargetCodecTest} compares the two).
         */
        private boolean decodeCommon(ByteBuf in, List<Object> out) {
            HttpMethod method = awaiting.peek();
            if (in.readableBytes() < SHORTEST_RESPONSE || HttpMethod.HEAD.equals(method)
                    || HttpMethod.CONNECT.equals(method)) {
                return false;
            }
            Http1Heads.Scratch scratch = Http1Heads.copy(in);
            byte[] b = scratch.bytes;
            int n = scratch.length;
            // The status line: HTTP/1.x SP 3DIGIT SP reason CRLF, the reason starting with a visible byte.
            if (!Arrays.equals(b, 0, HTTP_1_.length, HTTP_1_, 0, HTTP_1_.length) || b[8] != ' ' || b[12] != ' '
                    || !isDigit(b[9]) || !isDigit(b[10]) || !isDigit(b[11]) || b[13] <= ' ' || b[13] == 0x7F) {
                return false;
            }
            HttpVersion version = b[7] == '1' ? HttpVersion.HTTP_1_1 : b[7] == '0' ? HttpVersion.HTTP_1_0 : null;
            int code = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
            if (version == null || code < 200 || code == 204 || code == 304) {
                return false;
            }
            int i = 13;
            while (i < n && Http1Heads.FIELD[b[i] & 0xFF]) {
                i++;
            }
            // The line's length without its CRLF is i; Netty's decoder refuses it above its limit.
            if (i + 1 >= n || b[i] != '\r' || b[i + 1] != '\n' || i > maxInitialLineLength) {
                return false;
            }
            int reasonEnd = i;
            while (b[reasonEnd - 1] == ' ' || b[reasonEnd - 1] == '\t') {
                reasonEnd--;
            }
            int headersStart = i + 2;
            int end = Http1Heads.readFields(scratch, headersStart, maxHeaderSize);
            long length = scratch.contentLength;
            if (end < 0 || length == Http1Heads.NO_LENGTH || length > maxChunkSize
                    || end + length > in.readableBytes()) {
                return false;
            }
            HttpHeaders headers = UNVALIDATED.newHeaders();
            Http1Heads.addFields(scratch, headersStart, end, headers);
            awaiting.poll();
            in.skipBytes(end);
            out.add(new DefaultHttpResponse(version, status(code, b, 13, reasonEnd), headers));
            out.add(length == 0 ? LastHttpContent.EMPTY_LAST_CONTENT
                    : new DefaultLastHttpContent(in.readRetainedSlice((int) length)));
            return true;
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

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** The status of {@code code} with the reason phrase in {@code b[from, to)}: the constant when it is its own. */
    private static HttpResponseStatus status(int code, byte[] b, int from, int to) {
        HttpResponseStatus status = HttpResponseStatus.valueOf(code);
        String reason = status.reasonPhrase();
        if (reason.length() == to - from) {
            int k = 0;
            while (k < reason.length() && reason.charAt(k) == (b[from + k] & 0xFF)) {
                k++;
            }
            if (k == reason.length()) {
                return status;
            }
        }
        return HttpResponseStatus.valueOf(code, new String(b, from, to - from, StandardCharsets.ISO_8859_1));
    }
}
