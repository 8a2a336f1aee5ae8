package dev.trellis.controlplane.protocol;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One shape of an AWS service model: its type, members (structures), element shapes (lists, maps) and the
 * constraints the wire enforces. Immutable; built once by {@link ServiceModel}.
 */
public record Shape(
        String name,
        Type type,
        Map<String, Member> members,
        Set<String> required,
        Long min,
        Long max,
        Pattern pattern,
        List<String> enumValues,
        String listMember,
        String mapKey,
        String mapValue,
        boolean union,
        int errorStatus) {

    /** The model's shape types. */
    public enum Type {
        STRUCTURE, STRING, LIST, MAP, INTEGER, LONG, BOOLEAN, TIMESTAMP, DOUBLE, FLOAT, BLOB;

        static Type of(String modelName) {
            return Type.valueOf(modelName.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** Where a structure member is carried on the wire. */
    public enum Location { BODY, URI, QUERYSTRING, HEADER, HEADERS }

    /** A member of a structure. {@code wireName} is its name in the location (the JSON key in a body). */
    public record Member(String name, String shape, Location location, String wireName, boolean idempotencyToken) {
    }

    public boolean isError() {
        return errorStatus > 0;
    }

    @Override
    public String toString() {
        return name + " (" + type + ")";
    }

    /**
     * A whole number as an INTEGER or LONG member is spelled in text (a query parameter, a header, a URI label, an
     * XML element): {@link Long#parseLong} on ASCII only. {@code parseLong} alone also takes the digits of other
     * scripts, so {@code １０} (fullwidth) would be 10.
     *
     * @throws NumberFormatException when {@code text} is not a whole number in range
     */
    public static long parseWhole(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < '0' || c > '9') && !(i == 0 && (c == '-' || c == '+'))) {
                throw new NumberFormatException("not a whole number: " + text);
            }
        }
        return Long.parseLong(text);
    }
}
