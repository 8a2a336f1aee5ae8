package dev.trellis.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.Arrays;
import java.util.List;

/**
 * The common HTTP/1.1 head, read in one pass over one copy of its bytes: what the gateway's request parser
 * ({@code http.RequestHeadParser}) and its target codec's response decoder ({@link Http1TargetCodec}) share. Each
 * takes the heads it can and leaves every other one to Netty's decoder, which then decodes that message with all its
 * rules; so each must make of the heads it takes exactly what Netty's decoder would make (their tests decode each
 * case both ways and compare).
 *
 * <p>Header lines taken here: {@code name ":" OWS value OWS CRLF}, the name a token (no space before the colon), the
 * value field content (VCHAR, obs-text, SP, HTAB), as Netty's header validators check them; then CRLF. Not taken:
 * obs-fold, a bare LF or CR, anything else Netty's decoder would refuse or read differently. What this saves is
 * Netty's per-byte passes: the line search, the copy of each line, the name/value split, a copy of each name and
 * value, and the map's validation of each of them (docs/benchmarks.md, twentieth run). Names and values are views of
 * one array that holds the head's header lines.
 */
public final class Http1Heads {

    /** Heads longer than this are left to Netty's decoder (rare: a common head is a few hundred bytes). */
    public static final int LONGEST_HEAD = 8192;

    /** {@link Scratch#contentLength}: no Content-Length field. */
    public static final long NO_LENGTH = -1;

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte SP = ' ';
    private static final byte HTAB = '\t';

    /** tchar (RFC 9110 5.6.2), as Netty validates header names. */
    private static final boolean[] TOKEN = new boolean[256];
    /** field-content bytes (RFC 9110 5.5): VCHAR, obs-text, SP and HTAB, as Netty validates header values. */
    static final boolean[] FIELD = new boolean[256];

    static {
        for (int b = 0x21; b < 0x7F; b++) {
            TOKEN[b] = Character.isLetterOrDigit(b) || "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
        }
        for (int b = 0x20; b < 0x100; b++) {
            FIELD[b] = b != 0x7F;
        }
        FIELD[HTAB] = true;
    }

    private static final AsciiString CONTENT_LENGTH = AsciiString.of("content-length");
    /** Fields that frame a body otherwise, or imply one: their messages go to Netty's decoder. */
    private static final AsciiString[] OTHER_FRAMING = {AsciiString.of("transfer-encoding"),
            AsciiString.of("sec-websocket-key1"), AsciiString.of("sec-websocket-key2")};

    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private Http1Heads() {
    }

    /** Per event-loop thread: a head's bytes while they are read, and what was found in them. */
    public static final class Scratch {
        /** The head's bytes (and perhaps what follows), from the buffer's reader index. */
        public final byte[] bytes = new byte[LONGEST_HEAD];
        /** How many of {@link #bytes} were copied. */
        public int length;
        /** The Content-Length field's value, or {@link #NO_LENGTH}. */
        public long contentLength;
        private int[] fields = new int[4 * 32];
        private int count;

        private Scratch() {
        }
    }

    /** This thread's scratch, holding a copy of {@code in}'s readable bytes (as many as fit) from its reader index. */
    public static Scratch copy(ByteBuf in) {
        Scratch scratch = SCRATCH.get();
        scratch.length = Math.min(in.readableBytes(), scratch.bytes.length);
        in.getBytes(in.readerIndex(), scratch.bytes, 0, scratch.length);
        return scratch;
    }

    /**
     * Reads the header lines from {@code start} of the scratch's bytes to the empty line that ends them, and answers
     * the index after it; or -1 when they are not all there, not all common, longer than {@code maxHeaderSize} (with
     * their CRLFs, so never less than Netty's count), or frame a body other than by one Content-Length of digits.
     */
    public static int readFields(Scratch scratch, int start, int maxHeaderSize) {
        byte[] b = scratch.bytes;
        int n = scratch.length;
        int[] fields = scratch.fields;
        int count = 0;
        long contentLength = NO_LENGTH;
        int i = start;
        for (;;) {
            if (i >= n) {
                return -1;
            }
            if (b[i] == CR) {
                if (i + 1 < n && b[i + 1] == LF) {
                    scratch.count = count;
                    scratch.contentLength = contentLength;
                    return i + 2;
                }
                return -1;
            }
            int nameStart = i;
            while (i < n && TOKEN[b[i] & 0xFF]) {
                i++;
            }
            if (i == nameStart || i >= n || b[i] != ':') {
                return -1;
            }
            int nameEnd = i++;
            while (i < n && (b[i] == SP || b[i] == HTAB)) {
                i++;
            }
            int valueStart = i;
            while (i < n && FIELD[b[i] & 0xFF]) {
                i++;
            }
            if (i + 1 >= n || b[i] != CR || b[i + 1] != LF) {
                return -1;
            }
            int valueEnd = i;
            while (valueEnd > valueStart && (b[valueEnd - 1] == SP || b[valueEnd - 1] == HTAB)) {
                valueEnd--;
            }
            i += 2;
            if (i - start > maxHeaderSize) {
                return -1;
            }
            int nameLength = nameEnd - nameStart;
            if (nameLength >= CONTENT_LENGTH.length() && nameLength <= 18) {
                if (equalsIgnoreCase(b, nameStart, nameEnd, CONTENT_LENGTH)) {
                    if (contentLength != NO_LENGTH) {
                        return -1;
                    }
                    contentLength = digits(b, valueStart, valueEnd);
                    if (contentLength < 0) {
                        return -1;
                    }
                } else {
                    for (AsciiString name : OTHER_FRAMING) {
                        if (equalsIgnoreCase(b, nameStart, nameEnd, name)) {
                            return -1;
                        }
                    }
                }
            }
            if (count * 4 == fields.length) {
                fields = scratch.fields = Arrays.copyOf(fields, fields.length * 2);
            }
            fields[count * 4] = nameStart;
            fields[count * 4 + 1] = nameEnd;
            fields[count * 4 + 2] = valueStart;
            fields[count * 4 + 3] = valueEnd;
            count++;
        }
    }

    /**
     * Adds the fields {@link #readFields} found between {@code start} and {@code end} to {@code headers}, as views
     * of one new array that holds those bytes.
     */
    public static void addFields(Scratch scratch, int start, int end, HttpHeaders headers) {
        byte[] lines = Arrays.copyOfRange(scratch.bytes, start, end);
        int[] fields = scratch.fields;
        for (int f = 0; f < scratch.count * 4; f += 4) {
            int valueLength = fields[f + 3] - fields[f + 2];
            headers.add(new AsciiString(lines, fields[f] - start, fields[f + 1] - fields[f], false),
                    valueLength == 0 ? AsciiString.EMPTY_STRING
                            : new AsciiString(lines, fields[f + 2] - start, valueLength, false));
        }
    }

    /**
     * Whether a decoder's outputs from {@code first} on end with the end of a message it decoded without error: then
     * Netty's decoder holds no part of a message, and the next one may be read here.
     */
    public static boolean endedAMessage(List<Object> out, int first) {
        if (out.size() <= first) {
            return false;
        }
        Object last = out.get(out.size() - 1);
        return HttpTypes.isLast(last) && ((LastHttpContent) last).decoderResult().isSuccess();
    }

    /** The number of 1–18 ASCII digits, or -1. */
    private static long digits(byte[] b, int start, int end) {
        if (start == end || end - start > 18) {
            return -1;
        }
        long value = 0;
        for (int i = start; i < end; i++) {
            int digit = b[i] - '0';
            if (digit < 0 || digit > 9) {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value;
    }

    /** Whether the bytes equal {@code lowercase} but for the case of ASCII letters. */
    private static boolean equalsIgnoreCase(byte[] b, int start, int end, AsciiString lowercase) {
        if (end - start != lowercase.length()) {
            return false;
        }
        for (int k = 0; k < lowercase.length(); k++) {
            int c = b[start + k];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lowercase.byteAt(k)) {
                return false;
            }
        }
        return true;
    }
}
