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
 *   <li>{@code Federated}, {@code Service} and {@code CanonicalUser} entries are kept but match no caller:
 *       Lattice callers are IAM principals that SigV4 authenticated, never a service or an identity provider.</li>
 * </ul>
 */
final class PrincipalSpec {

    private final boolean everyone;
    private final Set<String> accounts;
    private final Set<String> arns;
    private final List<String> others;

    private PrincipalSpec(boolean everyone, Set<String> accounts, Set<String> arns, List<String> others) {
        this.everyone = everyone;
        this.accounts = accounts;
        this.arns = arns;
        this.others = others;
    }

    static PrincipalSpec everyone() {
        return new PrincipalSpec(true, Set.of(), Set.of(), List.of());
    }

    static PrincipalSpec of(boolean everyone, Set<String> accounts, Set<String> arns, List<String> others) {
        return new PrincipalSpec(everyone, Set.copyOf(accounts), Set.copyOf(arns), List.copyOf(others));
    }

    boolean matches(Principal principal) {
        if (everyone) {
            return true;
        }
        if (principal.isAnonymous()) {
            return false;
        }
        return accounts.contains(principal.accountId())
                || arns.contains(principal.principalArn())
                || arns.contains(principal.arn());
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
        return "accounts=" + accounts + " arns=" + arns + (others.isEmpty() ? "" : " others=" + others);
    }
}
