package dev.trellis.auth.policy;

/**
 * An IPv4 or IPv6 CIDR block (a plain address is a /32 or /128) for {@code IpAddress} and {@code NotIpAddress}.
 *
 * <p>Host bits set in a policy CIDR ({@code 10.0.0.1/24}) are ignored, as IAM does. An IPv4-mapped IPv6 request
 * address ({@code ::ffff:10.0.0.1}, what a dual-stack socket reports for an IPv4 client) is matched as the IPv4
 * address. IPv4 addresses are parsed without allocating.
 */
final class IpRange {

    private final boolean v6;
    private final int prefix;
    private final long hi;   // IPv6 upper 64 bits
    private final long lo;   // IPv6 lower 64 bits, or the IPv4 address in the low 32 bits
    private final String text;

    private IpRange(boolean v6, int prefix, long hi, long lo, String text) {
        this.v6 = v6;
        this.prefix = prefix;
        this.hi = v6 ? hi & mask(prefix) : 0;
        this.lo = v6 ? lo & mask(prefix - 64) : lo & (0xFFFF_FFFFL << (32 - prefix)) & 0xFFFF_FFFFL;
        this.text = text;
    }

    /** The top {@code bits} bits of a 64-bit word set; bits outside 0..64 clamp. */
    private static long mask(int bits) {
        if (bits <= 0) {
            return 0L;
        }
        if (bits >= 64) {
            return -1L;
        }
        return -1L << (64 - bits);
    }

    /** Parses {@code a.b.c.d[/n]} or an IPv6 address {@code [/n]}; null when it is neither. */
    static IpRange parse(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        int prefix;
        boolean v6 = address.indexOf(':') >= 0;
        if (slash < 0) {
            prefix = v6 ? 128 : 32;
        } else {
            String p = text.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3) {
                return null;
            }
            prefix = 0;
            for (int i = 0; i < p.length(); i++) {
                char c = p.charAt(i);
                if (c < '0' || c > '9') {
                    return null;
                }
                prefix = prefix * 10 + (c - '0');
            }
            if (prefix > (v6 ? 128 : 32)) {
                return null;
            }
        }
        if (!v6) {
            long v4 = parseV4(address, 0, address.length());
            return v4 < 0 ? null : new IpRange(false, prefix, 0, v4, text);
        }
        long[] words = parseV6(address, 0, address.length());
        return words == null ? null : new IpRange(true, prefix, words[0], words[1], text);
    }

    /** True when {@code address} (a request's source IP, as text) is inside this block. */
    boolean contains(String address) {
        if (address == null) {
            return false;
        }
        int end = address.indexOf('%'); // a zone id is not part of the address
        if (end < 0) {
            end = address.length();
        }
        if (address.indexOf(':') < 0) {
            if (v6) {
                return false;
            }
            long v4 = parseV4(address, 0, end);
            return v4 >= 0 && containsV4(v4);
        }
        long[] words = parseV6(address, 0, end);
        if (words == null) {
            return false;
        }
        if (!v6) {
            // IPv4-mapped: ::ffff:a.b.c.d
            return words[0] == 0 && (words[1] >>> 32) == 0xFFFFL && containsV4(words[1] & 0xFFFF_FFFFL);
        }
        return (words[0] & mask(prefix)) == hi && (words[1] & mask(prefix - 64)) == lo;
    }

    private boolean containsV4(long address) {
        long m = prefix == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefix)) & 0xFFFF_FFFFL;
        return (address & m) == lo;
    }

    /** Dotted-quad IPv4 in {@code s[from, to)} as an unsigned 32-bit value, or -1. */
    static long parseV4(CharSequence s, int from, int to) {
        long value = 0;
        int octets = 0;
        int i = from;
        while (octets < 4) {
            int start = i;
            int octet = 0;
            while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9' && i - start < 3) {
                octet = octet * 10 + (s.charAt(i) - '0');
                i++;
            }
            if (i == start || octet > 255 || (i - start > 1 && s.charAt(start) == '0')) {
                return -1;
            }
            value = (value << 8) | octet;
            octets++;
            if (octets < 4) {
                if (i >= to || s.charAt(i) != '.') {
                    return -1;
                }
                i++;
            }
        }
        return i == to ? value : -1;
    }

    /** IPv6 text (with {@code ::} and an optional trailing dotted IPv4) as two 64-bit words, or null. */
    static long[] parseV6(CharSequence s, int from, int to) {
        int[] groups = new int[8];
        int count = 0;
        int doubleColonAt = -1;
        int i = from;
        if (to - from >= 2 && s.charAt(from) == ':' && s.charAt(from + 1) == ':') {
            doubleColonAt = 0;
            i += 2;
            if (i == to) {
                return new long[] {0, 0};
            }
        } else if (to > from && s.charAt(from) == ':') {
            return null;
        }
        while (i < to) {
            if (count >= 8) {
                return null;
            }
            int start = i;
            int group = 0;
            while (i < to && hex(s.charAt(i)) >= 0 && i - start < 4) {
                group = (group << 4) | hex(s.charAt(i));
                i++;
            }
            if (i < to && s.charAt(i) == '.') {
                // trailing IPv4 in the last 32 bits
                if (count > 6) {
                    return null;
                }
                long v4 = parseV4(s, start, to);
                if (v4 < 0) {
                    return null;
                }
                groups[count++] = (int) (v4 >>> 16);
                groups[count++] = (int) (v4 & 0xFFFF);
                i = to;
                break;
            }
            if (i == start) {
                return null;
            }
            groups[count++] = group;
            if (i == to) {
                break;
            }
            if (s.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < to && s.charAt(i) == ':') {
                if (doubleColonAt >= 0) {
                    return null;
                }
                doubleColonAt = count;
                i++;
                if (i == to) {
                    break;
                }
            } else if (i == to) {
                return null; // trailing single colon
            }
        }
        int[] full = new int[8];
        if (doubleColonAt >= 0) {
            if (count > 7) {
                return null;
            }
            int tail = count - doubleColonAt;
            System.arraycopy(groups, 0, full, 0, doubleColonAt);
            System.arraycopy(groups, doubleColonAt, full, 8 - tail, tail);
        } else {
            if (count != 8) {
                return null;
            }
            full = groups;
        }
        long hi = 0;
        long lo = 0;
        for (int g = 0; g < 4; g++) {
            hi = (hi << 16) | full[g];
            lo = (lo << 16) | full[g + 4];
        }
        return new long[] {hi, lo};
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    @Override
    public String toString() {
        return text;
    }
}
