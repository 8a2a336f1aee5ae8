package dev.trellis.auth.policy;

import dev.trellis.auth.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The principals a statement's {@code Principal} (or {@code NotPrincipal}) element names, compiled for matching.
 *
 * <ul>
 *   <li>{@code "*"} or {@code {"AWS": "*"}}: everyone, including anonymous callers.</li>
 *   <li>A 12-digit account id or {@code arn:<partition>:iam::<account>:root}: every principal of that account.</li>
 *   <li>A user ARN: that user. A role ARN: every session of that role ({@link Principal#principalArn()}).</li>
 *   <li>An assumed-role session or federated-user ARN ({@code arn:<partition>:sts::...}): that session only
 *       ({@link Principal#arn()}).</li>
 *   <li>A {@code Federated} entry matches the holder of a web identity token from that identity provider (the
 *       IAM OIDC provider's ARN), and nothing else: only STS's trust-policy check sees such principals
 *       ({@link Principal#webIdentity}); Lattice callers are IAM principals that SigV4 authenticated.</li>
 *   <li>{@code Service} and {@code CanonicalUser} entries are kept but match no caller.</li>
 * </ul>
 *
 * <p>{@link #matchLevel} also says how a principal matched: by its own ARN (or everyone), or only through its
 * account. IAM treats the two differently for role trust policies in the caller's own account.
 */
final class PrincipalSpec {

    private final boolean everyone;
    private final Set<String> accounts;
    private final Set<String> arns;
    private final Set<String> federated;
    private final List<String> others;

    /** {@link #matchLevel}: no match. */
    static final int NO_MATCH = 0;
    /** {@link #matchLevel}: matched through the principal's account only (an account id or {@code :root}). */
    static final int ACCOUNT_MATCH = 1;
    /** {@link #matchLevel}: matched by the principal's own ARN, its identity provider, or everyone. */
    static final int PRINCIPAL_MATCH = 2;

    private PrincipalSpec(boolean everyone, Set<String> accounts, Set<String> arns, Set<String> federated,
                          List<String> others) {
        this.everyone = everyone;
        this.accounts = accounts;
        this.arns = arns;
        this.federated = federated;
        this.others = others;
    }

    static PrincipalSpec everyone() {
        return new PrincipalSpec(true, Set.of(), Set.of(), Set.of(), List.of());
    }

    static PrincipalSpec of(boolean everyone, Set<String> accounts, Set<String> arns, Set<String> federated,
                            List<String> others) {
        return new PrincipalSpec(everyone, Set.copyOf(accounts), Set.copyOf(arns), Set.copyOf(federated),
                List.copyOf(others));
    }

    boolean matches(Principal principal) {
        return matchLevel(principal) != NO_MATCH;
    }

    /** {@link #NO_MATCH}, {@link #ACCOUNT_MATCH} or {@link #PRINCIPAL_MATCH}. */
    int matchLevel(Principal principal) {
        if (everyone) {
            return PRINCIPAL_MATCH;
        }
        if (principal.isAnonymous()) {
            return NO_MATCH;
        }
        if (principal.type() == Principal.Type.WebIdentity) {
            // A token holder is no IAM principal of the provider's account: only a Federated entry names it.
            return federated.contains(principal.principalArn()) ? PRINCIPAL_MATCH : NO_MATCH;
        }
        if (arns.contains(principal.principalArn()) || arns.contains(principal.arn())) {
            return PRINCIPAL_MATCH;
        }
        return accounts.contains(principal.accountId()) ? ACCOUNT_MATCH : NO_MATCH;
    }

    /**
     * Checks one {@code AWS} principal value and adds it; returns an error message when it is not {@code "*"}, an
     * account id or a principal ARN.
     */
    static String addAws(String value, boolean[] everyone, Set<String> accounts, Set<String> arns) {
        if (value.equals("*")) {
            everyone[0] = true;
            return null;
        }
        if (value.indexOf('*') >= 0 || value.indexOf('?') >= 0) {
            return "\"" + value + "\": wildcards are allowed only as \"*\" alone"
                    + " (use the aws:PrincipalArn condition key to match principal ARNs by pattern)";
        }
        if (isAccountId(value)) {
            accounts.add(value);
            return null;
        }
        String[] parts = value.split(":", 6);
        if (parts.length == 6 && parts[0].equals("arn") && !parts[1].isEmpty() && parts[3].isEmpty()
                && isAccountId(parts[4])) {
            String resource = parts[5];
            if (parts[2].equals("iam")) {
                if (resource.equals("root")) {
                    accounts.add(parts[4]);
                    return null;
                }
                if ((resource.startsWith("user/") || resource.startsWith("role/")) && !resource.endsWith("/")) {
                    arns.add(value);
                    return null;
                }
            } else if (parts[2].equals("sts")) {
                if (resource.startsWith("assumed-role/") && resource.indexOf('/', "assumed-role/".length()) > 0
                        && !resource.endsWith("/")) {
                    arns.add(value);
                    return null;
                }
                if (resource.startsWith("federated-user/") && resource.length() > "federated-user/".length()) {
                    arns.add(value);
                    return null;
                }
            }
        }
        return "\"" + value + "\" is not \"*\", a 12-digit account id or an IAM principal ARN"
                + " (arn:aws:iam::<account>:root|user/<name>|role/<name>,"
                + " arn:aws:sts::<account>:assumed-role/<role>/<session>)";
    }

    static boolean isAccountId(String s) {
        if (s.length() != 12) {
            return false;
        }
        for (int i = 0; i < 12; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    static List<String> newOthers() {
        return new ArrayList<>();
    }

    @Override
    public String toString() {
        if (everyone) {
            return "*";
        }
        return "accounts=" + accounts + " arns=" + arns + (federated.isEmpty() ? "" : " federated=" + federated)
                + (others.isEmpty() ? "" : " others=" + others);
    }
}
