package dev.trellis.controlplane.ec2;

import java.util.Optional;

/**
 * An IPv4 CIDR block in canonical form: the network address (host bits cleared) and the prefix length.
 * {@code 100.68.0.18/18} parses as {@code 100.68.0.0/18}, as EC2 canonicalises it.
 */
record Ipv4Cidr(int address, int prefixLength) {

    Ipv4Cidr {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength);
        }
        address &= mask(prefixLength);
    }

    /**
     * Parses dotted-quad notation with a prefix: four decimal octets (0-255, at most three digits) and a prefix of
     * one or two digits (0-32). Anything else is empty.
     */
    static Optional<Ipv4Cidr> parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            return Optional.empty();
        }
        String[] octets = text.substring(0, slash).split("\\.", -1);
        String prefix = text.substring(slash + 1);
        if (octets.length != 4 || !digits(prefix, 2)) {
            return Optional.empty();
        }
        int address = 0;
        for (String octet : octets) {
            if (!digits(octet, 3)) {
                return Optional.empty();
            }
            int value = Integer.parseInt(octet);
            if (value > 255) {
                return Optional.empty();
            }
            address = (address << 8) | value;
        }
        int length = Integer.parseInt(prefix);
        return length > 32 ? Optional.empty() : Optional.of(new Ipv4Cidr(address, length));
    }

    private static boolean digits(String text, int max) {
        if (text.isEmpty() || text.length() > max) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    @Override
    public String toString() {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "."
                + (address & 0xFF) + "/" + prefixLength;
    }
}
