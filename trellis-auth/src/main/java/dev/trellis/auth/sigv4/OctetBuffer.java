package dev.trellis.auth.sigv4;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer that appends strings as octets: a character {@code <= 0xFF} is one byte, a character above
 * is UTF-8 encoded (see {@link SignedRequest} for why). Reused per thread by the verifier, so it is reset rather
 * than reallocated.
 */
final class OctetBuffer {

    private byte[] bytes;
    private int length;

    OctetBuffer(int initialCapacity) {
        bytes = new byte[initialCapacity];
    }

    void reset() {
        length = 0;
    }

    int length() {
        return length;
    }

    void truncate(int newLength) {
        length = newLength;
    }

    byte[] array() {
        return bytes;
    }

    OctetBuffer append(byte b) {
        if (length == bytes.length) {
            bytes = Arrays.copyOf(bytes, bytes.length * 2);
        }
        bytes[length++] = b;
        return this;
    }

    OctetBuffer append(char c) {
        if (c <= 0xFF) {
            return append((byte) c);
        }
        byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        for (byte b : utf8) {
            append(b);
        }
        return this;
    }

    /** Appends a string; characters above 0xFF (including surrogate pairs) are UTF-8 encoded. */
    OctetBuffer append(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c <= 0xFF) {
                bytes[length++] = (byte) c;
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < n ? i + 2 : i + 1;
                byte[] utf8 = s.substring(i, end).getBytes(StandardCharsets.UTF_8);
                for (byte b : utf8) {
                    append(b);
                }
                i = end - 1;
                ensure(n - i);
            }
        }
        return this;
    }

    /** Appends bytes as they are (octets already encoded, e.g. by {@link #octetsOf}). */
    OctetBuffer append(byte[] octets) {
        ensure(octets.length);
        System.arraycopy(octets, 0, bytes, length, octets.length);
        length += octets.length;
        return this;
    }

    /** The octets {@link #append(String)} writes for {@code s}. */
    static byte[] octetsOf(String s) {
        OctetBuffer buffer = new OctetBuffer(s.length() + 8).append(s);
        return Arrays.copyOf(buffer.bytes, buffer.length);
    }

    /**
     * Appends {@code s[from, to)}, which must hold octets only (every char {@code <= 0xFF}), as a bulk copy.
     * {@code String.getBytes(int, int, byte[], int)} is deprecated because it drops the high byte of each char,
     * which is exactly the octet semantics wanted here, and for Latin-1 strings it is a plain array copy.
     */
    @SuppressWarnings("deprecation")
    OctetBuffer appendOctets(String s, int from, int to) {
        ensure(to - from);
        s.getBytes(from, to, bytes, length);
        length += to - from;
        return this;
    }

    OctetBuffer append(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            append(s.charAt(i));
        }
        return this;
    }

    /** Appends two lowercase hex digits per byte. */
    OctetBuffer appendHex(byte[] data) {
        ensure(data.length * 2);
        for (byte b : data) {
            bytes[length++] = HEX_LOWER[(b >> 4) & 0xF];
            bytes[length++] = HEX_LOWER[b & 0xF];
        }
        return this;
    }

    /** The content as a string of octets (ISO-8859-1), for tests and diagnostics. */
    String asOctetString() {
        return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    }

    private void ensure(int extra) {
        if (length + extra > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + extra));
        }
    }

    private static final byte[] HEX_LOWER = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
}
