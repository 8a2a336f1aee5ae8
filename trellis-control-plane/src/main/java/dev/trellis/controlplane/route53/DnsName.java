package dev.trellis.controlplane.route53;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A fully qualified DNS name as Route 53 takes and gives it. Parsing accepts a trailing dot or none, letters in any
 * case (they are stored in lower case, so names compare case-insensitively), printable ASCII and Route 53's
 * {@code \ooo} octal escapes for any octet; labels are 1-63 octets and the whole name at most 255 octets on the wire.
 *
 * <p>Three spellings: {@link #text()} is the stored form and the one given to the snapshot compiler — RFC 1035
 * presentation with {@code \DDD} decimal escapes for {@code .}, {@code \} and non-printable octets, so dnsjava's
 * {@code Name.fromString} reads it; {@link #apiText()} is what Route 53 returns, every octet other than
 * {@code a-z 0-9 - _} as {@code \ooo} ({@code *.example.com.} is {@code \052.example.com.}); {@link #sortKey()} is
 * the key ListResourceRecordSets orders by, the labels reversed ({@code com.example.www.}).
 */
public final class DnsName {

    private static final int MAX_LABEL = 63;
    private static final int MAX_WIRE_LENGTH = 255;

    private final List<String> labels; // octets as chars 0-255, ASCII letters lower-cased; first label leftmost

    private DnsName(List<String> labels) {
        this.labels = labels;
    }

    /** A name that cannot be parsed; the message says why. */
    public static final class InvalidNameException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidNameException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Parses a name as the Route 53 API takes it ({@code Example.COM}, {@code example.com.}, {@code *.example.com},
     * {@code \052.example.com}).
     */
    public static DnsName parse(String text) throws InvalidNameException {
        if (text == null || text.isEmpty()) {
            throw new InvalidNameException("the name is empty");
        }
        if (text.equals(".")) {
            return new DnsName(List.of());
        }
        List<String> labels = new ArrayList<>();
        StringBuilder label = new StringBuilder();
        int wire = 1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '.') {
                if (label.length() == 0) {
                    throw new InvalidNameException("'" + text + "' has an empty label");
                }
                wire += label.length() + 1;
                labels.add(label.toString());
                label.setLength(0);
                continue;
            }
            if (c == '\\') {
                if (!isOctalEscape(text, i)) {
                    throw new InvalidNameException("'" + text + "' has a backslash that does not start an escape"
                            + " of three octal digits (\\000-\\377)");
                }
                c = (char) Integer.parseInt(text.substring(i + 1, i + 4), 8);
                i += 3;
            } else if (c < 0x21 || c > 0x7e) {
                throw new InvalidNameException("'" + text + "' has a character that must be written as a \\ooo"
                        + " octal escape (spaces, control characters and non-ASCII characters; use punycode for"
                        + " internationalized names)");
            }
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c + ('a' - 'A'));
            }
            label.append(c);
            if (label.length() > MAX_LABEL) {
                throw new InvalidNameException("'" + text + "' has a label longer than 63 characters");
            }
        }
        if (label.length() > 0) {
            wire += label.length() + 1;
            labels.add(label.toString());
        }
        if (wire > MAX_WIRE_LENGTH) {
            throw new InvalidNameException("'" + text + "' is longer than 255 octets");
        }
        return new DnsName(Collections.unmodifiableList(labels));
    }

    private static boolean isOctalEscape(String text, int backslash) {
        if (backslash + 3 >= text.length()) {
            return false;
        }
        char a = text.charAt(backslash + 1);
        char b = text.charAt(backslash + 2);
        char c = text.charAt(backslash + 3);
        return a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7';
    }

    /** The labels, leftmost first. */
    public List<String> labels() {
        return labels;
    }

    public boolean isRoot() {
        return labels.isEmpty();
    }

    /** Whether the leftmost label is {@code *}. */
    public boolean isWildcard() {
        return !labels.isEmpty() && labels.get(0).equals("*");
    }

    /** Whether this name is {@code zone} or below it. */
    public boolean isSameOrBelow(DnsName zone) {
        int offset = labels.size() - zone.labels.size();
        return offset >= 0 && labels.subList(offset, labels.size()).equals(zone.labels);
    }

    /** Whether every octet is one of {@code a-z 0-9 - _} (what Route 53 takes in hosted zone names). */
    public boolean isHostnameLike() {
        for (String label : labels) {
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The stored form: lower case, trailing dot, RFC 1035 {@code \DDD} decimal escapes where needed. */
    public String text() {
        if (labels.isEmpty()) {
            return ".";
        }
        StringBuilder out = new StringBuilder();
        for (String label : labels) {
            presentation(label, out);
            out.append('.');
        }
        return out.toString();
    }

    /** The form Route 53 returns: octets other than {@code a-z 0-9 - _} as {@code \ooo}. */
    public String apiText() {
        if (labels.isEmpty()) {
            return ".";
        }
        StringBuilder out = new StringBuilder();
        for (String label : labels) {
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
                    out.append(c);
                } else {
                    out.append('\\').append(String.format(Locale.ROOT, "%03o", (int) c));
                }
            }
            out.append('.');
        }
        return out.toString();
    }

    /** The labels reversed, each in presentation form, with a trailing dot: {@code com.example.www.}. */
    public String sortKey() {
        StringBuilder out = new StringBuilder();
        for (int i = labels.size() - 1; i >= 0; i--) {
            presentation(labels.get(i), out);
            out.append('.');
        }
        return out.toString();
    }

    private static void presentation(String label, StringBuilder out) {
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            if (c == '.' || c == '\\' || c < 0x21 || c > 0x7e) {
                out.append('\\').append(String.format(Locale.ROOT, "%03d", (int) c));
            } else {
                out.append(c);
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DnsName other && labels.equals(other.labels);
    }

    @Override
    public int hashCode() {
        return labels.hashCode();
    }

    @Override
    public String toString() {
        return text();
    }
}
