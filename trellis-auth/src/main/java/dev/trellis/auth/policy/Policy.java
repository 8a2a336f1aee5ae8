package dev.trellis.auth.policy;

import java.util.List;
import java.util.Optional;

/**
 * A parsed and validated IAM policy document: immutable, safe to share between threads, and cheap to evaluate
 * (evaluation allocates nothing unless the policy uses policy variables).
 *
 * <p>Create one with {@link #parseAuthPolicy}, {@link #parseIdentityPolicy} or {@link PolicyParser#parse}; the
 * grammar, the operators and every choice made where IAM's documentation is silent are in
 * {@code docs/policies.md}.
 */
public final class Policy {

    private final PolicyKind kind;
    private final PolicyVersion version;
    private final boolean versionGiven;
    private final String id;
    private final Statement[] statements;

    Policy(PolicyKind kind, PolicyVersion version, boolean versionGiven, String id, List<Statement> statements) {
        this.kind = kind;
        this.version = version;
        this.versionGiven = versionGiven;
        this.id = id;
        this.statements = statements.toArray(new Statement[0]);
    }

    /**
     * Parses a Lattice auth policy (a resource-based policy of at most {@value PolicyParser#AUTH_POLICY_MAX_BYTES}
     * bytes of UTF-8).
     *
     * @throws PolicyParseException naming the problem and where it is
     */
    public static Policy parseAuthPolicy(String json) {
        return PolicyParser.parseAuthPolicy(json);
    }

    /**
     * Parses an identity-based policy (attached to a user or role).
     *
     * @throws PolicyParseException naming the problem and where it is
     */
    public static Policy parseIdentityPolicy(String json) {
        return PolicyParser.parse(json, PolicyKind.IDENTITY_BASED);
    }

    /**
     * Parses a role trust policy (IAM's {@code AssumeRolePolicyDocument}): every statement names a principal, none
     * names a resource, and actions are STS actions.
     *
     * @throws PolicyParseException naming the problem and where it is
     */
    public static Policy parseTrustPolicy(String json) {
        return PolicyParser.parseTrustPolicy(json);
    }

    public PolicyKind kind() {
        return kind;
    }

    /** The language version; {@link PolicyVersion#V2008_10_17} also when the document has no Version. */
    public PolicyVersion version() {
        return version;
    }

    /** Whether the document had a {@code Version} element. */
    public boolean hasExplicitVersion() {
        return versionGiven;
    }

    public Optional<String> id() {
        return Optional.ofNullable(id);
    }

    public List<Statement> statements() {
        return List.of(statements);
    }

    /**
     * What this policy says about {@code context.principal()} performing {@code action} on {@code resource}:
     * {@link Decision#EXPLICIT_DENY} if any Deny statement applies, else {@link Decision#ALLOW} if any Allow
     * statement applies, else {@link Decision#NOT_APPLICABLE}.
     */
    public Decision evaluate(String action, String resource, RequestContext context) {
        boolean allowed = false;
        for (Statement s : statements) {
            if (s.effect() == Effect.Allow && allowed) {
                continue; // already allowed: only a Deny can change the outcome
            }
            if (s.applies(action, resource, context)) {
                if (s.effect() == Effect.Deny) {
                    return Decision.EXPLICIT_DENY;
                }
                allowed = true;
            }
        }
        return allowed ? Decision.ALLOW : Decision.NOT_APPLICABLE;
    }

    /**
     * Evaluates this policy as a role trust policy is evaluated: like {@link #evaluate}, and for an allow also says
     * whether some allowing statement named the caller itself (its ARN, its identity provider, or everyone) or only
     * trusted the caller's account. IAM requires the caller's identity-based policies to allow the action as well
     * in the second case.
     */
    public TrustDecision evaluateTrust(String action, String resource, RequestContext context) {
        int best = PrincipalSpec.NO_MATCH;
        for (Statement s : statements) {
            int level = s.appliesAt(action, resource, context);
            if (level == PrincipalSpec.NO_MATCH) {
                continue;
            }
            if (s.effect() == Effect.Deny) {
                return TrustDecision.EXPLICIT_DENY;
            }
            best = Math.max(best, level);
        }
        return switch (best) {
            case PrincipalSpec.PRINCIPAL_MATCH -> TrustDecision.ALLOW_NAMING_PRINCIPAL;
            case PrincipalSpec.ACCOUNT_MATCH -> TrustDecision.ALLOW_FOR_ACCOUNT;
            default -> TrustDecision.NOT_APPLICABLE;
        };
    }

    @Override
    public String toString() {
        return kind + " policy " + version.text() + " with " + statements.length + " statement(s)"
                + (id == null ? "" : " Id=" + id);
    }
}
