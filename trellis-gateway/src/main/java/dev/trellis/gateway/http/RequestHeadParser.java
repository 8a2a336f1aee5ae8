package dev.trellis.gateway.http;

import dev.trellis.gateway.proxy.Http1Heads;
import dev.trellis.gateway.proxy.TargetRequestHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The common request head, parsed in one pass ({@link Http1Heads}): a known method, a request target of visible
 * ASCII, {@code HTTP/1.1} or {@code HTTP/1.0}, single spaces, common header lines, no body (no Content-Length,
 * Transfer-Encoding or hixie-76 WebSocket keys), all of it already in the buffer and within the limits. Anything
 * else is left to Netty's request decoder ({@link #parse} answers null and consumes nothing), which decodes that
 * message with all its rules; {@code ClientHttp1CodecTest} decodes each case both ways and compares.
 *
 * <p>The headers are {@link TargetRequestHeaders} that do not validate again: their names and values were checked
 * here by the rules of Netty's validators.
 */
final class RequestHeadParser {

    /** The shortest head there is: {@code GET / HTTP/1.1} CRLF CRLF. */
    private static final int SHORTEST_HEAD = 18;

    /** Request-target bytes taken here: visible ASCII (anything else goes to Netty's decoder). */
    private static final boolean[] TARGET = new boolean[256];

    static {
        Arrays.fill(TARGET, 0x21, 0x7F, true);
    }

    private static final HttpMethod[] METHODS = {HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.HEAD,
            HttpMethod.DELETE, HttpMethod.PATCH, HttpMethod.OPTIONS};
    /** Each method's name followed by SP. */
    private static final byte[][] METHOD_PREFIXES = Arrays.stream(METHODS)
            .map(m -> (m.name() + ' ').getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);
    private static final byte[] HTTP_1_ = " HTTP/1.".getBytes(StandardCharsets.US_ASCII);

    private RequestHeadParser() {
    }

    /**
     * The request whose head starts at {@code in}'s reader index, its bytes consumed; or null, nothing consumed,
     * when that head is not a common one or not all there yet.
     */
    static HttpRequest parse(ByteBuf in, int maxInitialLineLength, int maxHeaderSize) {
        if (in.readableBytes() < SHORTEST_HEAD) {
            return null;
        }
        Http1Heads.Scratch scratch = Http1Heads.copy(in);
        byte[] b = scratch.bytes;
        int n = scratch.length;

        // The request line: METHOD SP target SP HTTP/1.x CRLF.
        int m = method(b, n);
        if (m < 0) {
            return null;
        }
        int targetStart = METHOD_PREFIXES[m].length;
        int i = targetStart;
        while (i < n && TARGET[b[i] & 0xFF]) {
            i++;
        }
        int targetEnd = i;
        // After the target: " HTTP/1.", the digit, CR, LF.
        if (targetEnd == targetStart || i + HTTP_1_.length + 3 > n
                || !Arrays.equals(b, i, i + HTTP_1_.length, HTTP_1_, 0, HTTP_1_.length)) {
            return null;
        }
        i += HTTP_1_.length;
        HttpVersion version = b[i] == '1' ? HttpVersion.HTTP_1_1 : b[i] == '0' ? HttpVersion.HTTP_1_0 : null;
        // The line's length without its CRLF is i + 1; Netty's decoder refuses it above its limit.
        if (version == null || b[i + 1] != '\r' || b[i + 2] != '\n' || i + 1 > maxInitialLineLength) {
            return null;
        }
        int headersStart = i + 3;
        int end = Http1Heads.readFields(scratch, headersStart, maxHeaderSize);
        if (end < 0 || scratch.contentLength != Http1Heads.NO_LENGTH) {
            return null;
        }

        TargetRequestHeaders headers = new TargetRequestHeaders(TargetRequestHeaders.Lines.NONE);
        Http1Heads.addFields(scratch, headersStart, end, headers);
        String target = new String(b, targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1);
        in.skipBytes(end);
        // The request line was checked above, as DefaultHttpRequest's own check would.
        return new DefaultHttpRequest(version, METHODS[m], target, headers, false);
    }

    /** The index of the method the line starts with (followed by SP), or -1. */
    private static int method(byte[] b, int n) {
        for (int m = 0; m < METHOD_PREFIXES.length; m++) {
            byte[] prefix = METHOD_PREFIXES[m];
            if (b[0] == prefix[0] && n > prefix.length
                    && Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length)) {
                return m;
            }
        }
        return -1;
    }
}
