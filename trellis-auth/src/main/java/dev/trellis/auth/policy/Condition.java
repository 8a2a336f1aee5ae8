package dev.trellis.auth.policy;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * One condition of a statement: an operator (with its qualifier and {@code IfExists}), one key and its values,
 * compiled at parse time to the type the operator compares.
 *
 * <p>Semantics (IAM's, see {@code docs/policies.md}): the values of one key combine with OR (NOR for negated
 * operators); an absent key makes the condition false, true for negated operators, true with {@code IfExists},
 * true with {@code ForAllValues:} and false with {@code ForAnyValue:}. Without a qualifier, a multi-valued key
 * matches when any of its values matches (for negated operators: when none does).
 */
final class Condition {

    /** The set qualifiers. */
    enum Qualifier { NONE, FOR_ALL_VALUES, FOR_ANY_VALUE }

    final String operatorText;
    final Qualifier qualifier;
    final ConditionOperator operator;
    final boolean ifExists;
    final ConditionKey key;

    // Compiled values; only the array of the operator's family is set.
    private final ValueTemplate[] templates;     // STRING, BOOL, ARN
    private final WildcardPattern[] likes;       // STRING Like with constant values (null entry = has variables)
    private final BigDecimal[] numbers;          // NUMERIC
    private final long[] longs;                  // NUMERIC fast path; Long.MIN_VALUE = not integral
    private final long[] dates;                  // DATE, epoch millis
    private final byte[][] binaries;             // BINARY
    private final IpRange[] ranges;              // IP
    private final boolean[] nulls;               // NULL: true = "key must be absent"

    private Condition(String operatorText, Qualifier qualifier, ConditionOperator operator, boolean ifExists,
                      ConditionKey key, ValueTemplate[] templates, WildcardPattern[] likes, BigDecimal[] numbers,
                      long[] longs, long[] dates, byte[][] binaries, IpRange[] ranges, boolean[] nulls) {
        this.operatorText = operatorText;
        this.qualifier = qualifier;
        this.operator = operator;
        this.ifExists = ifExists;
        this.key = key;
        this.templates = templates;
        this.likes = likes;
        this.numbers = numbers;
        this.longs = longs;
        this.dates = dates;
        this.binaries = binaries;
        this.ranges = ranges;
        this.nulls = nulls;
    }

    /** The parts of an operator name such as {@code ForAnyValue:StringLikeIfExists}. */
    static final class OperatorName {
        final Qualifier qualifier;
        final ConditionOperator operator;
        final boolean ifExists;

        OperatorName(Qualifier qualifier, ConditionOperator operator, boolean ifExists) {
            this.qualifier = qualifier;
            this.operator = operator;
            this.ifExists = ifExists;
        }
    }

    /** Parses an operator name, or returns null when it is not one. */
    static OperatorName parseOperator(String text) {
        Qualifier qualifier = Qualifier.NONE;
        String rest = text;
        if (rest.startsWith("ForAllValues:")) {
            qualifier = Qualifier.FOR_ALL_VALUES;
            rest = rest.substring("ForAllValues:".length());
        } else if (rest.startsWith("ForAnyValue:")) {
            qualifier = Qualifier.FOR_ANY_VALUE;
            rest = rest.substring("ForAnyValue:".length());
        }
        boolean ifExists = false;
        ConditionOperator op = ConditionOperator.named(rest);
        if (op == null && rest.endsWith("IfExists")) {
            op = ConditionOperator.named(rest.substring(0, rest.length() - "IfExists".length()));
            ifExists = true;
            if (op == ConditionOperator.Null) {
                return null; // NullIfExists is not an operator
            }
        }
        return op == null ? null : new OperatorName(qualifier, op, ifExists);
    }

    /**
     * Compiles one condition.
     *
     * @throws IllegalArgumentException naming the offending value when a value does not fit the operator
     */
    static Condition compile(String operatorText, OperatorName name, ConditionKey key, List<String> values,
                             boolean substituteVariables) {
        ConditionOperator op = name.operator;
        int n = values.size();
        ValueTemplate[] templates = null;
        WildcardPattern[] likes = null;
        BigDecimal[] numbers = null;
        long[] longs = null;
        long[] dates = null;
        byte[][] binaries = null;
        IpRange[] ranges = null;
        boolean[] nulls = null;
        switch (op.family) {
            case STRING:
            case ARN:
            case BOOL:
                templates = new ValueTemplate[n];
                if (op.family == ConditionOperator.Family.STRING && op.test == ConditionOperator.Test.LIKE) {
                    likes = new WildcardPattern[n];
                }
                for (int i = 0; i < n; i++) {
                    ValueTemplate t = ValueTemplate.parse(values.get(i), substituteVariables);
                    templates[i] = t;
                    if (op.family == ConditionOperator.Family.BOOL && t.isConstant()
                            && !t.constantText().equalsIgnoreCase("true")
                            && !t.constantText().equalsIgnoreCase("false")) {
                        throw new IllegalArgumentException(quote(values.get(i)) + " is not true or false");
                    }
                    if (likes != null && t.isConstant()) {
                        ValueTemplate.Resolved r = t.constant();
                        likes[i] = WildcardPattern.compile(r.chars, r.wild, r.length, false);
                    }
                }
                break;
            case NUMERIC:
                numbers = new BigDecimal[n];
                longs = new long[n];
                for (int i = 0; i < n; i++) {
                    BigDecimal d = parseNumber(values.get(i));
                    if (d == null) {
                        throw new IllegalArgumentException(quote(values.get(i)) + " is not a number");
                    }
                    numbers[i] = d;
                    longs[i] = exactLong(d);
                }
                break;
            case DATE:
                dates = new long[n];
                for (int i = 0; i < n; i++) {
                    long t = parseDate(values.get(i));
                    if (t == Long.MIN_VALUE) {
                        throw new IllegalArgumentException(quote(values.get(i))
                                + " is not an ISO 8601 date-time or epoch seconds");
                    }
                    dates[i] = t;
                }
                break;
            case BINARY:
                binaries = new byte[n][];
                for (int i = 0; i < n; i++) {
                    try {
                        binaries[i] = Base64.getDecoder().decode(values.get(i));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(quote(values.get(i)) + " is not base64");
                    }
                }
                break;
            case IP:
                ranges = new IpRange[n];
                for (int i = 0; i < n; i++) {
                    ranges[i] = IpRange.parse(values.get(i));
                    if (ranges[i] == null) {
                        throw new IllegalArgumentException(quote(values.get(i))
                                + " is not an IPv4 or IPv6 address or CIDR block");
                    }
                }
                break;
            case NULL:
                nulls = new boolean[n];
                for (int i = 0; i < n; i++) {
                    String v = values.get(i);
                    if (v.equalsIgnoreCase("true")) {
                        nulls[i] = true;
                    } else if (!v.equalsIgnoreCase("false")) {
                        throw new IllegalArgumentException(quote(v) + " is not true or false");
                    }
                }
                break;
            default:
                throw new AssertionError(op);
        }
        return new Condition(operatorText, name.qualifier, op, name.ifExists, key, templates, likes, numbers, longs,
                dates, binaries, ranges, nulls);
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    /** Evaluates this condition for one request. */
    boolean evaluate(RequestContext context) {
        if (operator == ConditionOperator.Null) {
            boolean absent = RequestContext.count(context.lookup(key)) == 0;
            for (boolean mustBeAbsent : nulls) {
                if (mustBeAbsent == absent) {
                    return true;
                }
            }
            return false;
        }
        // Typed fast paths for the keys the data plane holds as numbers.
        if (operator.family == ConditionOperator.Family.DATE
                && (key.known == ConditionKey.Known.CURRENT_TIME || key.known == ConditionKey.Known.EPOCH_TIME)) {
            return operator.negated != matchesDate(context.requestTimeMillis());
        }
        if (operator.family == ConditionOperator.Family.NUMERIC && key.known == ConditionKey.Known.PORT
                && context.port() >= 0) {
            return operator.negated != matchesNumber(context.port(), null);
        }
        Object value = context.lookup(key);
        int n = RequestContext.count(value);
        if (n == 0) {
            if (ifExists) {
                return true;
            }
            switch (qualifier) {
                case FOR_ALL_VALUES:
                    return true;
                case FOR_ANY_VALUE:
                    return false;
                default:
                    return operator.negated;
            }
        }
        switch (qualifier) {
            case FOR_ALL_VALUES:
                for (int i = 0; i < n; i++) {
                    if (operator.negated == matchesAny(RequestContext.at(value, i), context)) {
                        return false;
                    }
                }
                return true;
            case FOR_ANY_VALUE:
                for (int i = 0; i < n; i++) {
                    if (operator.negated != matchesAny(RequestContext.at(value, i), context)) {
                        return true;
                    }
                }
                return false;
            default:
                for (int i = 0; i < n; i++) {
                    if (matchesAny(RequestContext.at(value, i), context)) {
                        return !operator.negated;
                    }
                }
                return operator.negated;
        }
    }

    /** True when the request value {@code x} passes the positive test against at least one policy value. */
    private boolean matchesAny(String x, RequestContext context) {
        switch (operator.family) {
            case STRING:
                return matchesString(x, context);
            case BOOL:
                for (ValueTemplate t : templates) {
                    String v = t.resolveText(context);
                    if (v != null && v.equalsIgnoreCase(x)) {
                        return true;
                    }
                }
                return false;
            case ARN:
                for (ValueTemplate t : templates) {
                    ValueTemplate.Resolved r = t.resolve(context);
                    if (r != null && arnMatches(r.chars, r.wild, r.length, x)) {
                        return true;
                    }
                }
                return false;
            case NUMERIC: {
                long asLong = parseLong(x);
                if (asLong != Long.MIN_VALUE) {
                    return matchesNumber(asLong, null);
                }
                BigDecimal d = parseNumber(x);
                return d != null && matchesNumber(Long.MIN_VALUE, d);
            }
            case DATE: {
                long t = parseDate(x);
                return t != Long.MIN_VALUE && matchesDate(t);
            }
            case BINARY: {
                byte[] bytes;
                try {
                    bytes = Base64.getDecoder().decode(x);
                } catch (IllegalArgumentException e) {
                    return false;
                }
                for (byte[] b : binaries) {
                    if (Arrays.equals(b, bytes)) {
                        return true;
                    }
                }
                return false;
            }
            case IP:
                for (IpRange r : ranges) {
                    if (r.contains(x)) {
                        return true;
                    }
                }
                return false;
            default:
                throw new AssertionError(operator);
        }
    }

    private boolean matchesString(String x, RequestContext context) {
        for (int i = 0; i < templates.length; i++) {
            ValueTemplate t = templates[i];
            switch (operator.test) {
                case EQUALS: {
                    String v = t.resolveText(context);
                    if (v != null && v.equals(x)) {
                        return true;
                    }
                    break;
                }
                case EQUALS_IGNORE_CASE: {
                    String v = t.resolveText(context);
                    if (v != null && v.equalsIgnoreCase(x)) {
                        return true;
                    }
                    break;
                }
                default: {
                    WildcardPattern p = likes[i];
                    if (p != null) {
                        if (p.matches(x)) {
                            return true;
                        }
                    } else {
                        ValueTemplate.Resolved r = t.resolve(context);
                        if (r != null && WildcardPattern.glob(r.chars, r.wild, 0, r.length, x, 0, x.length(), false)) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    /**
     * ARN matching, part by part: the pattern and the value are split at their first five colons and each of the
     * six parts is matched with wildcards on its own. A pattern with fewer than six parts (such as {@code *}) is
     * matched against the whole value.
     */
    static boolean arnMatches(char[] p, boolean[] wild, int plen, String x) {
        int colons = 0;
        for (int i = 0; i < plen && colons < 5; i++) {
            if (p[i] == ':') {
                colons++;
            }
        }
        if (colons < 5) {
            return WildcardPattern.glob(p, wild, 0, plen, x, 0, x.length(), false);
        }
        int ps = 0;
        int xs = 0;
        for (int part = 0; part < 5; part++) {
            int pc = ps;
            while (p[pc] != ':') {
                pc++;
            }
            int xc = x.indexOf(':', xs);
            if (xc < 0) {
                return false;
            }
            if (!WildcardPattern.glob(p, wild, ps, pc, x, xs, xc, false)) {
                return false;
            }
            ps = pc + 1;
            xs = xc + 1;
        }
        return WildcardPattern.glob(p, wild, ps, plen, x, xs, x.length(), false);
    }

    private boolean matchesNumber(long x, BigDecimal xd) {
        for (int i = 0; i < numbers.length; i++) {
            int cmp;
            if (xd == null && longs[i] != Long.MIN_VALUE) {
                cmp = Long.compare(x, longs[i]);
            } else {
                cmp = (xd != null ? xd : BigDecimal.valueOf(x)).compareTo(numbers[i]);
            }
            if (passes(cmp)) {
                return true;
            }
        }
        return false;
    }

    private boolean matchesDate(long millis) {
        for (long d : dates) {
            if (passes(Long.compare(millis, d))) {
                return true;
            }
        }
        return false;
    }

    /** Applies the operator's comparison to {@code request <=> policy}. */
    private boolean passes(int cmp) {
        switch (operator.test) {
            case LESS_THAN:
                return cmp < 0;
            case LESS_THAN_EQUALS:
                return cmp <= 0;
            case GREATER_THAN:
                return cmp > 0;
            case GREATER_THAN_EQUALS:
                return cmp >= 0;
            default:
                return cmp == 0;
        }
    }

    /** A plain decimal integer of at most 18 digits without allocating, or Long.MIN_VALUE. */
    static long parseLong(String s) {
        int n = s.length();
        int i = 0;
        boolean negative = false;
        if (n > 0 && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            negative = s.charAt(0) == '-';
            i = 1;
        }
        if (i == n || n - i > 18) {
            return Long.MIN_VALUE;
        }
        long v = 0;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return Long.MIN_VALUE;
            }
            v = v * 10 + (c - '0');
        }
        return negative ? -v : v;
    }

    static BigDecimal parseNumber(String s) {
        String t = s.trim();
        if (t.isEmpty()) {
            return null;
        }
        try {
            return new BigDecimal(t);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static long exactLong(BigDecimal d) {
        try {
            return d.longValueExact();
        } catch (ArithmeticException e) {
            return Long.MIN_VALUE;
        }
    }

    /**
     * Epoch milliseconds of an IAM date value: epoch seconds (possibly with a fraction), or ISO 8601 as a date
     * ({@code 2026-01-31}, midnight UTC), a date-time with offset or {@code Z}, or a date-time without offset
     * (taken as UTC). Long.MIN_VALUE when it is none of these.
     */
    static long parseDate(String s) {
        String t = s.trim();
        if (t.isEmpty()) {
            return Long.MIN_VALUE;
        }
        if (t.indexOf('-', 1) < 0 && t.indexOf(':') < 0) {
            BigDecimal seconds = parseNumber(t);
            if (seconds == null) {
                return Long.MIN_VALUE;
            }
            try {
                return seconds.movePointRight(3).setScale(0, java.math.RoundingMode.FLOOR).longValueExact();
            } catch (ArithmeticException e) {
                return Long.MIN_VALUE;
            }
        }
        try {
            return OffsetDateTime.parse(t).toInstant().toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return Instant.parse(t).toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException ignored) {
            return Long.MIN_VALUE;
        }
    }

    @Override
    public String toString() {
        return operatorText + " " + key;
    }
}
