package dev.trellis.controlplane.ec2;

/**
 * A filter value of a Describe call: {@code *} matches any run of characters, {@code ?} exactly one, and a backslash
 * makes the next character literal ({@code \*}, {@code \?}, {@code \\}). Matching is case-sensitive, as EC2's is,
 * and takes at most O(pattern × text) steps.
 */
final class FilterPattern {

    private static final int ANY_RUN = -1;
    private static final int ANY_ONE = -2;

    /** Characters, or {@link #ANY_RUN} / {@link #ANY_ONE}. */
    private final int[] tokens;

    private FilterPattern(int[] tokens) {
        this.tokens = tokens;
    }

    static FilterPattern compile(String pattern) {
        int[] tokens = new int[pattern.length()];
        int n = 0;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                tokens[n++] = pattern.charAt(++i);
            } else if (c == '*') {
                tokens[n++] = ANY_RUN;
            } else if (c == '?') {
                tokens[n++] = ANY_ONE;
            } else {
                tokens[n++] = c;
            }
        }
        return new FilterPattern(java.util.Arrays.copyOf(tokens, n));
    }

    boolean matches(String text) {
        int t = 0;
        int p = 0;
        int starP = -1;
        int starT = 0;
        while (t < text.length()) {
            if (p < tokens.length && (tokens[p] == ANY_ONE || tokens[p] == text.charAt(t))) {
                p++;
                t++;
            } else if (p < tokens.length && tokens[p] == ANY_RUN) {
                starP = p++;
                starT = t;
            } else if (starP >= 0) {
                p = starP + 1;
                t = ++starT;
            } else {
                return false;
            }
        }
        while (p < tokens.length && tokens[p] == ANY_RUN) {
            p++;
        }
        return p == tokens.length;
    }
}
