package dev.trellis.auth.policy;

/** The policy language versions IAM defines. */
public enum PolicyVersion {
    /** The old language, also what an absent {@code Version} means: policy variables are not substituted. */
    V2008_10_17("2008-10-17"),
    /** The current language, with policy variables. */
    V2012_10_17("2012-10-17");

    private final String text;

    PolicyVersion(String text) {
        this.text = text;
    }

    /** As written in a policy's {@code Version} element. */
    public String text() {
        return text;
    }

    boolean substitutesVariables() {
        return this == V2012_10_17;
    }
}
