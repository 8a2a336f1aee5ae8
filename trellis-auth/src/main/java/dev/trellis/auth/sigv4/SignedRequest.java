package dev.trellis.auth.sigv4;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * A received HTTP request as SigV4 verification needs it, independent of the HTTP stack that received it.
 *
 * <p>Everything is kept as it came off the wire: the method, the path and the query string exactly as in the
 * request target (still percent-encoded, not normalised), and every header field in received order with its
 * original name case (repeated fields stay separate entries). Names are looked up case-insensitively in ASCII, as
 * HTTP field names are tokens; a name may be any {@code CharSequence} (an HTTP stack's byte-backed name is taken
 * as it is, not copied into a {@code String}). Strings carry <em>octets</em>: a character
 * {@code <= 0xFF} stands for one byte, which is what Netty and the JDK HTTP server produce when they decode a
 * request head as ISO-8859-1. (A character above {@code 0xFF} is taken as Unicode and UTF-8 encoded.) HTTP/2 layers
 * pass {@code :authority} as a {@code host} header.
 *
 * <p>The payload is described by one of: the body bytes, the hex SHA-256 of the body, or "not read" (the gateway
 * streams bodies and does not hash them: only {@code UNSIGNED-PAYLOAD} signatures can then be verified). A layer
 * that streams bodies should still say {@link Builder#emptyBody()} when it knows there is none (no
 * {@code Content-Length} nor {@code Transfer-Encoding}, or {@code Content-Length: 0}): signers that hash the payload
 * (presigned URLs from botocore, for instance) then verify too.
 *
 * <p>Instances are immutable once built; the builder is cheap (two growing arrays) so an HTTP layer can build one
 * per request.
 */
public final class SignedRequest {

    /** How much the verifier knows about the request body. */
    public enum PayloadKind {
        /** The body bytes are available. */
        BYTES,
        /** The hex SHA-256 of the body is available. */
        SHA256,
        /** The body was not read; only {@code UNSIGNED-PAYLOAD} signatures verify. */
        NOT_READ
    }

    static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
    private static final byte[] EMPTY = new byte[0];
    /** The SHA-256 of no bytes: the payload hash of every request without a body. */
    static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private final String method;
    private final String rawPath;
    private final String rawQuery;
    private final CharSequence[] names;
    private final String[] values;
    private final int headerCount;
    private final PayloadKind payloadKind;
    private final byte[] body;
    private volatile String payloadSha256;

    private SignedRequest(Builder b) {
        this.method = b.method;
        this.rawPath = b.rawPath;
        this.rawQuery = b.rawQuery;
        this.names = b.names;
        this.values = b.values;
        this.headerCount = b.count;
        this.payloadKind = b.payloadKind;
        this.body = b.body;
        this.payloadSha256 = b.payloadSha256;
    }

    /**
     * Starts a request from its method and request target ({@code /path?query} as received, e.g. from Netty's
     * {@code HttpRequest.uri()}). An absolute-form target ({@code http://host/path}) keeps only path and query.
     */
    public static Builder builder(String method, String requestTarget) {
        Objects.requireNonNull(requestTarget, "requestTarget");
        String target = requestTarget;
        if (!target.startsWith("/")) {
            int scheme = target.indexOf("://");
            if (scheme > 0) {
                int slash = target.indexOf('/', scheme + 3);
                int question = target.indexOf('?', scheme + 3);
                if (slash < 0 || (question >= 0 && question < slash)) {
                    target = "/" + (question >= 0 ? target.substring(question) : "");
                } else {
                    target = target.substring(slash);
                }
            }
        }
        int hash = target.indexOf('#');
        if (hash >= 0) {
            target = target.substring(0, hash);
        }
        int question = target.indexOf('?');
        return question < 0
                ? new Builder(method, target, "")
                : new Builder(method, target.substring(0, question), target.substring(question + 1));
    }

    /** Starts a request from its method, raw path and raw query string (without {@code ?}; empty when none). */
    public static Builder builder(String method, String rawPath, String rawQuery) {
        return new Builder(method, rawPath, rawQuery == null ? "" : rawQuery);
    }

    public String method() {
        return method;
    }

    /** The path exactly as in the request target, without the query. */
    public String rawPath() {
        return rawPath;
    }

    /** The query string exactly as in the request target, without {@code ?}; empty when there is none. */
    public String rawQuery() {
        return rawQuery;
    }

    public int headerCount() {
        return headerCount;
    }

    /** The name of header field {@code i} (received order), with its original case. */
    public String headerName(int i) {
        Objects.checkIndex(i, headerCount);
        return names[i].toString();
    }

    /** The value of header field {@code i} (received order), untrimmed. */
    public String headerValue(int i) {
        Objects.checkIndex(i, headerCount);
        return values[i];
    }

    /** The value of the first header field with this name (case-insensitive), or {@code null}. */
    public String firstHeader(String name) {
        return firstHeaderLowercase(lowercase(name));
    }

    /** As {@link #firstHeader}, for a name already in ASCII lower case (the verifier's constants). */
    String firstHeaderLowercase(String lowercaseName) {
        int i = indexOf(lowercaseName, 0);
        return i < 0 ? null : values[i];
    }

    /** How many header fields carry this name (case-insensitive). */
    public int headerFieldCount(String name) {
        String lower = lowercase(name);
        int n = 0;
        for (int i = indexOf(lower, 0); i >= 0; i = indexOf(lower, i + 1)) {
            n++;
        }
        return n;
    }

    /** All values of the header fields with this name (case-insensitive), in received order. */
    public List<String> headers(String name) {
        String lower = lowercase(name);
        List<String> out = new ArrayList<>(2);
        for (int i = indexOf(lower, 0); i >= 0; i = indexOf(lower, i + 1)) {
            out.add(values[i]);
        }
        return out;
    }

    /**
     * The index of the first header field from {@code from} on whose name is {@code lowercaseName} in any case, or
     * -1. The verifier's lookups, a dozen per request: compared as ASCII, without the JDK's Unicode case mapping.
     */
    int indexOf(String lowercaseName, int from) {
        for (int i = from; i < headerCount; i++) {
            if (equalsLowercase(names[i], lowercaseName)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether {@code name} equals {@code lowercase} (an ASCII lower-case name) with ASCII letters of any case. */
    static boolean equalsLowercase(CharSequence name, String lowercase) {
        int n = lowercase.length();
        if (name.length() != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            char l = lowercase.charAt(i);
            if (c != l && ((c | 0x20) != l || l < 'a' || l > 'z')) {
                return false;
            }
        }
        return true;
    }

    /** {@code name} with its ASCII letters in lower case; {@code name} itself when it has no upper-case letter. */
    static String lowercase(String name) {
        for (int i = 0, n = name.length(); i < n; i++) {
            char c = name.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                char[] chars = name.toCharArray();
                for (int j = i; j < n; j++) {
                    char d = chars[j];
                    if (d >= 'A' && d <= 'Z') {
                        chars[j] = (char) (d + 0x20);
                    }
                }
                return new String(chars);
            }
        }
        return name;
    }

    public PayloadKind payloadKind() {
        return payloadKind;
    }

    /**
     * The lowercase hex SHA-256 of the body, or {@code null} when the body was not read. Computed once, on first
     * use, when the request was built from body bytes.
     */
    public String payloadSha256() {
        String hash = payloadSha256;
        if (hash == null && payloadKind == PayloadKind.BYTES) {
            hash = body.length == 0 ? EMPTY_SHA256 : sha256Hex(body);
            payloadSha256 = hash;
        }
        return hash;
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    @Override
    public String toString() {
        // Header values may hold credentials (Authorization, X-Amz-Security-Token): names only.
        StringBuilder sb = new StringBuilder("SignedRequest[").append(method).append(' ').append(rawPath);
        if (!rawQuery.isEmpty()) {
            sb.append("?<").append(rawQuery.length()).append(" chars>");
        }
        sb.append(", headers=");
        for (int i = 0; i < headerCount; i++) {
            sb.append(i == 0 ? "" : ",").append(names[i]);
        }
        return sb.append(", payload=").append(payloadKind).append(']').toString();
    }

    /** Collects the parts of a {@link SignedRequest}. Not thread-safe. */
    public static final class Builder {
        private final String method;
        private final String rawPath;
        private final String rawQuery;
        private CharSequence[] names = new CharSequence[12];
        private String[] values = new String[12];
        private int count;
        private PayloadKind payloadKind = PayloadKind.NOT_READ;
        private byte[] body;
        private String payloadSha256;

        private Builder(String method, String rawPath, String rawQuery) {
            this.method = Objects.requireNonNull(method, "method");
            this.rawPath = Objects.requireNonNull(rawPath, "rawPath");
            this.rawQuery = rawQuery;
        }

        /**
         * Appends one header field as received; call it once per field, repeated names included. The name is kept
         * as given (not copied): it must not change afterwards.
         */
        public Builder header(CharSequence name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (count == names.length) {
                names = Arrays.copyOf(names, count * 2);
                values = Arrays.copyOf(values, count * 2);
            }
            names[count] = name;
            values[count] = value;
            count++;
            return this;
        }

        /** The complete body. The array is not copied: do not modify it afterwards. */
        public Builder body(byte[] body) {
            this.body = Objects.requireNonNull(body, "body");
            this.payloadKind = PayloadKind.BYTES;
            this.payloadSha256 = null;
            return this;
        }

        /**
         * The hex SHA-256 of the body, computed by the caller; the literal {@code UNSIGNED-PAYLOAD} means the
         * same as {@link #bodyNotRead()}.
         */
        public Builder payloadSha256(String hex) {
            Objects.requireNonNull(hex, "hex");
            if (UNSIGNED_PAYLOAD.equals(hex)) {
                return bodyNotRead();
            }
            if (!isHexSha256(hex)) {
                throw new IllegalArgumentException("payload SHA-256 must be 64 hex digits");
            }
            this.payloadSha256 = hex.toLowerCase(java.util.Locale.ROOT);
            this.payloadKind = PayloadKind.SHA256;
            this.body = null;
            return this;
        }

        /** The request has no body (a common case the HTTP layer knows without reading anything). */
        public Builder emptyBody() {
            return body(EMPTY);
        }

        /** The body is streamed and was not hashed (the default). */
        public Builder bodyNotRead() {
            this.payloadKind = PayloadKind.NOT_READ;
            this.body = null;
            this.payloadSha256 = null;
            return this;
        }

        public SignedRequest build() {
            return new SignedRequest(this);
        }
    }

    /** Whether {@code s} is a SHA-256 in hex: 64 ASCII hex digits of either case. */
    static boolean isHexSha256(String s) {
        if (s.length() != 64) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!HexFormat.isHexDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
