package dev.trellis.auth.policy;

import java.util.HashMap;
import java.util.Map;

/**
 * The IAM condition operators without their {@code IfExists} suffix or set qualifier.
 *
 * <p>A negated operator ({@code StringNotEquals}, {@code NotIpAddress}, ...) is evaluated as its positive
 * {@link #base} with the outcome inverted per value, which gives IAM's rules: several policy values combine with
 * NOR, and an absent key makes the condition true.
 */
enum ConditionOperator {
    StringEquals(Family.STRING, Test.EQUALS, false),
    StringNotEquals(Family.STRING, Test.EQUALS, true),
    StringEqualsIgnoreCase(Family.STRING, Test.EQUALS_IGNORE_CASE, false),
    StringNotEqualsIgnoreCase(Family.STRING, Test.EQUALS_IGNORE_CASE, true),
    StringLike(Family.STRING, Test.LIKE, false),
    StringNotLike(Family.STRING, Test.LIKE, true),
    NumericEquals(Family.NUMERIC, Test.EQUALS, false),
    NumericNotEquals(Family.NUMERIC, Test.EQUALS, true),
    NumericLessThan(Family.NUMERIC, Test.LESS_THAN, false),
    NumericLessThanEquals(Family.NUMERIC, Test.LESS_THAN_EQUALS, false),
    NumericGreaterThan(Family.NUMERIC, Test.GREATER_THAN, false),
    NumericGreaterThanEquals(Family.NUMERIC, Test.GREATER_THAN_EQUALS, false),
    DateEquals(Family.DATE, Test.EQUALS, false),
    DateNotEquals(Family.DATE, Test.EQUALS, true),
    DateLessThan(Family.DATE, Test.LESS_THAN, false),
    DateLessThanEquals(Family.DATE, Test.LESS_THAN_EQUALS, false),
    DateGreaterThan(Family.DATE, Test.GREATER_THAN, false),
    DateGreaterThanEquals(Family.DATE, Test.GREATER_THAN_EQUALS, false),
    Bool(Family.BOOL, Test.EQUALS_IGNORE_CASE, false),
    BinaryEquals(Family.BINARY, Test.EQUALS, false),
    IpAddress(Family.IP, Test.EQUALS, false),
    NotIpAddress(Family.IP, Test.EQUALS, true),
    ArnEquals(Family.ARN, Test.LIKE, false),
    ArnNotEquals(Family.ARN, Test.LIKE, true),
    ArnLike(Family.ARN, Test.LIKE, false),
    ArnNotLike(Family.ARN, Test.LIKE, true),
    Null(Family.NULL, Test.EQUALS, false);

    /** What kind of values the operator compares. */
    enum Family {
        STRING, NUMERIC, DATE, BOOL, BINARY, IP, ARN, NULL;

        /** IAM substitutes policy variables only in string, Boolean and ARN condition values. */
        boolean takesVariables() {
            return this == STRING || this == BOOL || this == ARN;
        }
    }

    /** The positive comparison. */
    enum Test { EQUALS, EQUALS_IGNORE_CASE, LIKE, LESS_THAN, LESS_THAN_EQUALS, GREATER_THAN, GREATER_THAN_EQUALS }

    private static final Map<String, ConditionOperator> BY_NAME = new HashMap<>();

    static {
        for (ConditionOperator op : values()) {
            BY_NAME.put(op.name(), op);
        }
    }

    final Family family;
    final Test test;
    final boolean negated;

    ConditionOperator(Family family, Test test, boolean negated) {
        this.family = family;
        this.test = test;
        this.negated = negated;
    }

    /** The operator named exactly {@code name} (case-sensitive, as IAM documents them), or null. */
    static ConditionOperator named(String name) {
        return BY_NAME.get(name);
    }
}
