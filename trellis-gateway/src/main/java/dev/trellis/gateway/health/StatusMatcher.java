package dev.trellis.gateway.health;

import java.util.BitSet;

/**
 * The HTTP status codes a health check accepts: Lattice's {@code matcher.httpCode}, a comma-separated list of codes
 * and ranges ({@code 200}, {@code 200-299}, {@code 200,202}, {@code 200,300-399}). Codes are 100-599. Immutable.
 */
public final class StatusMatcher {

    private final String spec;
    private final BitSet codes;

    private StatusMatcher(String spec, BitSet codes) {
        this.spec = spec;
        this.codes = codes;
    }

    /**
     * Parses {@code spec}.
     *
     * @throws IllegalArgumentException naming the part that is wrong, when {@code spec} is empty, has an empty
     *     element, a code that is not a number in 100-599, or a range whose end is below its start
     */
    public static StatusMatcher parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("the health-check matcher is empty; expected codes like 200, "
                    + "200-299 or 200,202");
        }
        BitSet codes = new BitSet(600);
        for (String part : spec.split(",", -1)) {
            String element = part.strip();
            int dash = element.indexOf('-');
            int from;
            int to;
            if (dash < 0) {
                from = code(element, spec);
                to = from;
            } else {
                from = code(element.substring(0, dash), spec);
                to = code(element.substring(dash + 1), spec);
                if (to < from) {
                    throw new IllegalArgumentException("the health-check matcher '" + spec + "' has the range '"
                            + element + "' whose end is below its start");
                }
            }
            codes.set(from, to + 1);
        }
        return new StatusMatcher(spec, codes);
    }

    private static int code(String text, String spec) {
        if (text.isEmpty() || text.length() > 3 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("the health-check matcher '" + spec + "' has '" + text
                    + "' where an HTTP status code (100-599) belongs");
        }
        int code = Integer.parseInt(text);
        if (code < 100 || code > 599) {
            throw new IllegalArgumentException("the health-check matcher '" + spec + "' has " + code
                    + ", which is not an HTTP status code (100-599)");
        }
        return code;
    }

    public boolean matches(int status) {
        return status >= 0 && status < 600 && codes.get(status);
    }

    @Override
    public String toString() {
        return spec;
    }
}
