package dev.trellis.auth.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * A policy string that may hold policy variables ({@code ${aws:username}}, {@code ${aws:PrincipalTag/team,
 * 'none'}}) and the escapes {@code ${*}}, {@code ${?}}, {@code ${$}}; compiled once at parse time.
 *
 * <p>Policies of version 2008-10-17 (or without a Version) do not substitute: their text is taken as written.
 * In the resolved text, {@code *} and {@code ?} written in the policy stay wildcards (for the operators and
 * elements that have wildcards); characters produced by an escape, a variable's value or a default value are
 * literal. A variable whose key is absent from the request, or multi-valued, resolves to its default value, or
 * makes the whole value unresolvable (it then matches nothing). Substitution happens once: a value containing
 * {@code ${...}} is not substituted again.
 */
final class ValueTemplate {

    /** One piece of a template with variables. */
    private static final class Part {
        final String text;          // literal text (its * and ? are wildcards), or null for a variable
        final boolean escaped;      // text came from ${*}, ${?} or ${$}: never a wildcard
        final ConditionKey variable;
        final String defaultValue;  // may be null

        Part(String text, boolean escaped, ConditionKey variable, String defaultValue) {
            this.text = text;
            this.escaped = escaped;
            this.variable = variable;
            this.defaultValue = defaultValue;
        }
    }

    /** The outcome of resolving a template against one request. */
    static final class Resolved {
        final char[] chars;
        final boolean[] wild;
        final int length;

        Resolved(char[] chars, boolean[] wild, int length) {
            this.chars = chars;
            this.wild = wild;
            this.length = length;
        }

        String text() {
            return new String(chars, 0, length);
        }
    }

    final String raw;
    private final Part[] parts;        // null when constant
    private final Resolved constant;   // non-null when constant
    private final String constantText;

    private ValueTemplate(String raw, Part[] parts, Resolved constant) {
        this.raw = raw;
        this.parts = parts;
        this.constant = constant;
        this.constantText = constant == null ? null : constant.text();
    }

    /**
     * Compiles {@code raw}; with {@code substitute} false (version 2008-10-17) the text is taken literally.
     *
     * @throws IllegalArgumentException with a message naming the problem when a variable is malformed
     */
    static ValueTemplate parse(String raw, boolean substitute) {
        if (!substitute || raw.indexOf("${") < 0) {
            return new ValueTemplate(raw, null, literal(raw));
        }
        List<Part> parts = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        int i = 0;
        int n = raw.length();
        while (i < n) {
            char c = raw.charAt(i);
            if (c != '$' || i + 1 >= n || raw.charAt(i + 1) != '{') {
                text.append(c);
                i++;
                continue;
            }
            if (text.length() > 0) {
                parts.add(new Part(text.toString(), false, null, null));
                text.setLength(0);
            }
            i = parseVariable(raw, i, parts);
        }
        if (text.length() > 0) {
            parts.add(new Part(text.toString(), false, null, null));
        }
        boolean hasVariable = false;
        for (Part p : parts) {
            hasVariable |= p.variable != null;
        }
        Part[] array = parts.toArray(new Part[0]);
        if (!hasVariable) {
            return new ValueTemplate(raw, null, build(array, null));
        }
        return new ValueTemplate(raw, array, null);
    }

    /** Parses {@code ${...}} starting at {@code start}; returns the index after the closing brace. */
    private static int parseVariable(String raw, int start, List<Part> parts) {
        int n = raw.length();
        int i = start + 2;
        int keyStart = i;
        while (i < n && raw.charAt(i) != '}' && raw.charAt(i) != ',') {
            i++;
        }
        if (i >= n) {
            throw new IllegalArgumentException("unterminated policy variable in \"" + raw + "\"");
        }
        String key = raw.substring(keyStart, i).trim();
        String defaultValue = null;
        if (raw.charAt(i) == ',') {
            i++;
            while (i < n && raw.charAt(i) == ' ') {
                i++;
            }
            if (i >= n || raw.charAt(i) != '\'') {
                throw new IllegalArgumentException("the default value of policy variable ${" + key
                        + "} must be in single quotes in \"" + raw + "\"");
            }
            i++;
            StringBuilder value = new StringBuilder();
            while (true) {
                if (i >= n) {
                    throw new IllegalArgumentException("unterminated default value of policy variable ${" + key
                            + "} in \"" + raw + "\"");
                }
                char c = raw.charAt(i);
                if (c == '\'') {
                    if (i + 1 < n && raw.charAt(i + 1) == '\'') {
                        value.append('\'');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                value.append(c);
                i++;
            }
            while (i < n && raw.charAt(i) == ' ') {
                i++;
            }
            if (i >= n || raw.charAt(i) != '}') {
                throw new IllegalArgumentException("unterminated policy variable ${" + key + "} in \"" + raw + "\"");
            }
            defaultValue = value.toString();
        }
        i++; // past '}'
        if (defaultValue == null && (key.equals("*") || key.equals("?") || key.equals("$"))) {
            parts.add(new Part(key, true, null, null));
            return i;
        }
        ConditionKey variable = ConditionKey.of(key);
        if (variable == null) {
            throw new IllegalArgumentException("${" + key + "} in \"" + raw
                    + "\" is not a policy variable (expected ${<prefix>:<key>} or one of ${*}, ${?}, ${$})");
        }
        parts.add(new Part(null, false, variable, defaultValue));
        return i;
    }

    private static Resolved literal(String raw) {
        char[] chars = raw.toCharArray();
        boolean[] wild = new boolean[chars.length];
        for (int i = 0; i < chars.length; i++) {
            wild[i] = chars[i] == '*' || chars[i] == '?';
        }
        return new Resolved(chars, wild, chars.length);
    }

    /** Builds the resolved text; returns null when a variable without default cannot be resolved. */
    private static Resolved build(Part[] parts, RequestContext context) {
        int length = 0;
        String[] values = context == null ? null : new String[parts.length];
        for (int p = 0; p < parts.length; p++) {
            Part part = parts[p];
            if (part.variable == null) {
                length += part.text.length();
            } else {
                String value = context.single(part.variable);
                if (value == null) {
                    value = part.defaultValue;
                }
                if (value == null) {
                    return null;
                }
                values[p] = value;
                length += value.length();
            }
        }
        char[] chars = new char[length];
        boolean[] wild = new boolean[length];
        int at = 0;
        for (int p = 0; p < parts.length; p++) {
            Part part = parts[p];
            String text = part.variable == null ? part.text : values[p];
            boolean wildcards = part.variable == null && !part.escaped;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                chars[at] = c;
                wild[at] = wildcards && (c == '*' || c == '?');
                at++;
            }
        }
        return new Resolved(chars, wild, length);
    }

    boolean isConstant() {
        return constant != null;
    }

    /** The text of a constant template (escapes applied). */
    String constantText() {
        return constantText;
    }

    /** The resolved characters of a constant template. */
    Resolved constant() {
        return constant;
    }

    /** Resolves against a request; null when a variable cannot be resolved. */
    Resolved resolve(RequestContext context) {
        return constant != null ? constant : build(parts, context);
    }

    /** Resolves to text (wildcards lose their meaning); null when a variable cannot be resolved. */
    String resolveText(RequestContext context) {
        if (constant != null) {
            return constantText;
        }
        Resolved r = build(parts, context);
        return r == null ? null : r.text();
    }

    @Override
    public String toString() {
        return raw;
    }
}
