package dev.trellis.auth.policy;

/**
 * A policy document was rejected. The message names where the problem is and what the rule is, for example
 * {@code Statement[1].Condition: unknown operator StringEqualz}; the control plane returns it to the caller as
 * the message of a {@code ValidationException}.
 */
public final class PolicyParseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String location;
    private final String problem;

    PolicyParseException(String location, String problem) {
        super(location + ": " + problem);
        this.location = location;
        this.problem = problem;
    }

    /** Where in the document: {@code policy}, {@code Version}, {@code Statement[1].Condition}, ... */
    public String location() {
        return location;
    }

    /** What is wrong, without the location. */
    public String problem() {
        return problem;
    }
}
