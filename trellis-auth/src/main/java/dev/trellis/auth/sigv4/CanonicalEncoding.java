package dev.trellis.auth.sigv4;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The encodings of the SigV4 canonical request: URI-encoding (RFC 3986 unreserved characters kept, every other
 * octet as {@code %XX} with uppercase hex), path normalisation, query canonicalisation and header-value trimming.
 */
final class CanonicalEncoding {

    private static final char[] HEX_UPPER = "0123456789ABCDEF".toCharArray();

    private CanonicalEncoding() {
    }

    static boolean isUnreserved(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '_' || c == '.' || c == '~';
    }

    /**
     * The canonical path.
     *
     * <p>Normalised form (every service but S3): {@code .} and {@code ..} segments are removed and empty segments
     * collapse (RFC 3986 5.2.4 semantics; a trailing slash stays), then every octet but unreserved ones and
     * {@code /} is encoded again. The path is still percent-encoded as received, so its {@code %} signs are encoded
     * too: this is the "double encoding" AWS specifies for non-S3 services.
     *
     * <p>Un-normalised form (S3 style): the path as received, re-encoded once: valid {@code %XX} escapes are
     * decoded and re-encoded canonically, other octets encoded; no segment is removed.
     */
    static void writeCanonicalPath(String rawPath, boolean normalize, OctetBuffer out) {
        if (rawPath.isEmpty()) {
            out.append('/');
            return;
        }
        if (rawPath.charAt(0) != '/') {
            out.append('/');
        }
        if (!normalize) {
            reencode(rawPath, 0, rawPath.length(), true, out);
            return;
        }
        if (!needsNormalization(rawPath)) {
            encode(rawPath, 0, rawPath.length(), true, out);
            return;
        }
        List<int[]> kept = new ArrayList<>();
        int n = rawPath.length();
        boolean trailingSlash = rawPath.charAt(n - 1) == '/';
        int start = 0;
        while (start <= n) {
            int end = rawPath.indexOf('/', start);
            if (end < 0) {
                end = n;
            }
            int len = end - start;
            boolean dot = len == 1 && rawPath.charAt(start) == '.';
            boolean dotDot = len == 2 && rawPath.charAt(start) == '.' && rawPath.charAt(start + 1) == '.';
            if (dotDot) {
                if (!kept.isEmpty()) {
                    kept.remove(kept.size() - 1);
                }
            } else if (len > 0 && !dot) {
                kept.add(new int[] {start, end});
            }
            if (end == n) {
                // A path ending in "." or ".." names a directory: the result ends with a slash.
                trailingSlash |= dot || dotDot;
                break;
            }
            start = end + 1;
        }
        if (rawPath.charAt(0) == '/') {
            out.append('/');
        }
        for (int i = 0; i < kept.size(); i++) {
            if (i > 0) {
                out.append('/');
            }
            encode(rawPath, kept.get(i)[0], kept.get(i)[1], false, out);
        }
        if (trailingSlash && !kept.isEmpty()) {
            out.append('/');
        }
    }

    private static boolean needsNormalization(String path) {
        return path.charAt(0) != '/' || path.contains("//") || path.contains("/./") || path.contains("/../")
                || path.endsWith("/.") || path.endsWith("/..");
    }

    /** Encodes every octet of {@code s[from, to)} except unreserved ones (and {@code /} when asked). */
    static void encode(String s, int from, int to, boolean keepSlash, OctetBuffer out) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c <= 0xFF) {
                if (isUnreserved(c) || (keepSlash && c == '/')) {
                    out.append((byte) c);
                } else {
                    percent(c, out);
                }
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < to ? i + 2 : i + 1;
                for (byte b : s.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
                    percent(b & 0xFF, out);
                }
                i = end - 1;
            }
        }
    }

    /**
     * Re-encodes an already percent-encoded component canonically: a valid escape is decoded and encoded again
     * (so {@code %7e} becomes {@code ~} and {@code %e1} becomes {@code %E1}); any other octet is encoded.
     */
    static void reencode(String s, int from, int to, boolean keepSlash, OctetBuffer out) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '%' && isEscape(s, i, to)) {
                int b = escapedOctet(s, i);
                if (isUnreserved(b)) {
                    out.append((byte) b);
                } else {
                    percent(b, out);
                }
                i += 2;
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < to ? i + 2 : i + 1;
                encode(s, i, end, keepSlash, out);
                i = end - 1;
            }
        }
    }

    /** A {@code %} followed by two hex digits, ASCII only as RFC 3986's HEXDIG ({@code %٠٠} is not {@code %00}). */
    private static boolean isEscape(String s, int i, int to) {
        return i + 2 < to && HexFormat.isHexDigit(s.charAt(i + 1)) && HexFormat.isHexDigit(s.charAt(i + 2));
    }

    private static int escapedOctet(String s, int i) {
        return (HexFormat.fromHexDigit(s.charAt(i + 1)) << 4) | HexFormat.fromHexDigit(s.charAt(i + 2));
    }

    /** Re-encodes a query component into a string (the sort key of the canonical query). */
    static String reencodeToString(String s, int from, int to) {
        boolean canonicalAlready = true;
        for (int i = from; i < to; i++) {
            if (!isUnreserved(s.charAt(i))) {
                canonicalAlready = false;
                break;
            }
        }
        if (canonicalAlready) {
            return s.substring(from, to);
        }
        OctetBuffer buffer = new OctetBuffer(Math.max(16, (to - from) * 3));
        reencode(s, from, to, false, buffer);
        return buffer.asOctetString();
    }

    /** Percent-decodes a query component to text (UTF-8); {@code +} stays a plus sign. */
    static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '%' && isEscape(s, i, n)) {
                bytes.write(escapedOctet(s, i));
                i += 2;
            } else if (c <= 0xFF) {
                bytes.write(c);
            } else {
                byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(utf8, 0, utf8.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * Appends a header value trimmed, with every run of whitespace inside collapsed to one space (AWS: "convert
     * sequential spaces to a single space"; quoted strings are not special).
     */
    static void writeTrimmedValue(String value, OctetBuffer out) {
        int from = 0;
        int to = value.length();
        while (from < to && isSpace(value.charAt(from))) {
            from++;
        }
        while (to > from && isSpace(value.charAt(to - 1))) {
            to--;
        }
        // Fast path, the common case (session tokens are ~1 KB): nothing to collapse and only octets, so copy.
        boolean simple = true;
        for (int i = from; i < to; i++) {
            char c = value.charAt(i);
            if (c <= ' ' || c > 0xFF) {
                if (c != ' ' || isSpace(value.charAt(i + 1))) {
                    simple = false;
                    break;
                }
            }
        }
        if (simple) {
            out.appendOctets(value, from, to);
            return;
        }
        boolean pendingSpace = false;
        for (int i = from; i < to; i++) {
            char c = value.charAt(i);
            if (isSpace(c)) {
                pendingSpace = true;
            } else {
                if (pendingSpace) {
                    out.append((byte) ' ');
                    pendingSpace = false;
                }
                out.append(c);
            }
        }
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    private static void percent(int b, OctetBuffer out) {
        out.append((byte) '%').append((byte) HEX_UPPER[(b >> 4) & 0xF]).append((byte) HEX_UPPER[b & 0xF]);
    }
}
