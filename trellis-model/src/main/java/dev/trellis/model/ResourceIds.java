package dev.trellis.model;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Resource ids in the VPC Lattice form: a type prefix and 17 lowercase hex digits ({@code svc-0cfe1f49ff3266204}).
 * Like Lattice's own, generated ids start with {@code 0}; the other 16 digits are random.
 */
public final class ResourceIds {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern SUFFIX = Pattern.compile("[0-9a-f]{17}");

    private ResourceIds() {
    }

    /** A new id with this prefix, e.g. {@code newId("svc")} → {@code svc-0a1b2c3d4e5f60718}. */
    public static String newId(String prefix) {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return prefix + "-0" + HexFormat.of().formatHex(bytes);
    }

    /** True when {@code id} is {@code prefix-} followed by 17 lowercase hex digits. */
    public static boolean isId(String prefix, String id) {
        return id != null && id.length() == prefix.length() + 18 && id.startsWith(prefix + "-")
                && SUFFIX.matcher(id).region(prefix.length() + 1, id.length()).matches();
    }

    /** The 17 digits after the prefix ({@code svc-0123...} → {@code 0123...}). */
    public static String suffix(String id) {
        return id.substring(id.indexOf('-') + 1);
    }
}
