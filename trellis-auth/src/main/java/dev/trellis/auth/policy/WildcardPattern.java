package dev.trellis.auth.policy;

/**
 * A compiled IAM wildcard pattern: {@code *} matches any run of characters (including none, and including
 * {@code :} and {@code /}), {@code ?} exactly one character; everything else matches itself.
 *
 * <p>Characters that came from an escape ({@code ${*}}) or from a policy variable's value are literal even when
 * they are {@code *} or {@code ?}: the {@code wild} mask says which characters are wildcards. Common shapes
 * ({@code *}, no wildcard, one trailing {@code *}) are recognised at compile time and matched without the general
 * loop. Matching never allocates.
 */
final class WildcardPattern {

    private enum Shape { ANY, EXACT, PREFIX, GLOB }

    private final Shape shape;
    private final boolean ignoreCase;
    /** For EXACT and PREFIX: the literal text (lower-cased when ignoreCase). */
    private final String literal;
    /** For GLOB: pattern characters (lower-cased when ignoreCase) and which of them are wildcards. */
    private final char[] chars;
    private final boolean[] wild;

    private WildcardPattern(Shape shape, boolean ignoreCase, String literal, char[] chars, boolean[] wild) {
        this.shape = shape;
        this.ignoreCase = ignoreCase;
        this.literal = literal;
        this.chars = chars;
        this.wild = wild;
    }

    /** Compiles text in which every {@code *} and {@code ?} is a wildcard. */
    static WildcardPattern compile(String text, boolean ignoreCase) {
        char[] chars = text.toCharArray();
        boolean[] wild = new boolean[chars.length];
        for (int i = 0; i < chars.length; i++) {
            wild[i] = chars[i] == '*' || chars[i] == '?';
        }
        return compile(chars, wild, chars.length, ignoreCase);
    }

    /** Compiles the first {@code length} characters of {@code chars}, whose wildcards {@code wild} marks. */
    static WildcardPattern compile(char[] chars, boolean[] wild, int length, boolean ignoreCase) {
        int wildcards = 0;
        int lastWild = -1;
        for (int i = 0; i < length; i++) {
            if (wild[i]) {
                wildcards++;
                lastWild = i;
            }
        }
        char[] copy = new char[length];
        for (int i = 0; i < length; i++) {
            copy[i] = ignoreCase ? Character.toLowerCase(chars[i]) : chars[i];
        }
        if (wildcards == 1 && length == 1 && copy[0] == '*') {
            return new WildcardPattern(Shape.ANY, ignoreCase, null, null, null);
        }
        if (wildcards == 0) {
            return new WildcardPattern(Shape.EXACT, ignoreCase, new String(copy), null, null);
        }
        if (wildcards == 1 && lastWild == length - 1 && copy[lastWild] == '*') {
            return new WildcardPattern(Shape.PREFIX, ignoreCase, new String(copy, 0, length - 1), null, null);
        }
        boolean[] wildCopy = new boolean[length];
        System.arraycopy(wild, 0, wildCopy, 0, length);
        return new WildcardPattern(Shape.GLOB, ignoreCase, null, copy, wildCopy);
    }

    boolean matchesEverything() {
        return shape == Shape.ANY;
    }

    boolean matches(CharSequence s) {
        return matches(s, 0, s.length());
    }

    /** Matches {@code s[from, to)}. */
    boolean matches(CharSequence s, int from, int to) {
        switch (shape) {
            case ANY:
                return true;
            case EXACT:
                return to - from == literal.length() && regionEquals(s, from, literal, 0, literal.length());
            case PREFIX:
                return to - from >= literal.length() && regionEquals(s, from, literal, 0, literal.length());
            default:
                return glob(chars, wild, 0, chars.length, s, from, to, ignoreCase);
        }
    }

    private boolean regionEquals(CharSequence s, int from, String lit, int litFrom, int length) {
        for (int i = 0; i < length; i++) {
            char c = s.charAt(from + i);
            char l = lit.charAt(litFrom + i);
            // The literal is lower-cased when ignoreCase, and lower-casing leaves a lower-cased character as it is,
            // so an equal character matches without the case mapping (most characters of an ARN or action).
            if (c != l && (!ignoreCase || Character.toLowerCase(c) != l)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The classic linear-space wildcard match with backtracking to the last {@code *}: worst case
     * O(pattern × input), no recursion and no allocation. Pattern characters must already be lower-cased when
     * {@code ignoreCase}.
     */
    static boolean glob(char[] p, boolean[] wild, int pi, int pEnd, CharSequence s, int si, int sEnd,
                        boolean ignoreCase) {
        int starP = -1;
        int starS = -1;
        while (si < sEnd) {
            if (pi < pEnd) {
                char pc = p[pi];
                boolean w = wild != null && wild[pi];
                if (w && pc == '*') {
                    starP = pi++;
                    starS = si;
                    continue;
                }
                char sc = s.charAt(si);
                if (ignoreCase) {
                    sc = Character.toLowerCase(sc);
                }
                if ((w && pc == '?') || pc == sc) {
                    pi++;
                    si++;
                    continue;
                }
            }
            if (starP >= 0) {
                pi = starP + 1;
                si = ++starS;
                continue;
            }
            return false;
        }
        while (pi < pEnd && wild != null && wild[pi] && p[pi] == '*') {
            pi++;
        }
        return pi == pEnd;
    }

    @Override
    public String toString() {
        switch (shape) {
            case ANY:
                return "*";
            case EXACT:
                return literal;
            case PREFIX:
                return literal + "*";
            default:
                return new String(chars);
        }
    }
}
