package dev.trellis.auth.policy;

import java.util.Locale;
import java.util.Map;

/**
 * A condition key name as a policy names it, resolved once at parse time to the request fact it reads.
 *
 * <p>IAM matches context key names case-insensitively, including the part after the {@code /} of
 * {@code aws:PrincipalTag/<key>}, {@code aws:ResourceTag/<key>}, {@code vpc-lattice-svcs:RequestHeader/<name>} and
 * {@code vpc-lattice-svcs:RequestQueryString/<key>}: {@link #canonical} is the lower-cased name and {@link #suffix}
 * the lower-cased part after the first {@code /} of those families.
 */
final class ConditionKey {

    /** The keys {@link RequestContext} answers from typed fields; everything else is {@link #OTHER}. */
    enum Known {
        PORT, REQUEST_METHOD, REQUEST_PATH, REQUEST_HEADER, REQUEST_QUERY_STRING, SERVICE_ARN, SERVICE_NETWORK_ARN,
        SOURCE_VPC, SOURCE_VPC_OWNER_ACCOUNT,
        PRINCIPAL_ARN, PRINCIPAL_ACCOUNT, PRINCIPAL_TYPE, PRINCIPAL_ORG_ID, PRINCIPAL_TAG, RESOURCE_TAG, SOURCE_IP,
        CURRENT_TIME, EPOCH_TIME, SECURE_TRANSPORT, USER_ID, USER_NAME,
        OTHER
    }

    private static final Map<String, Known> SIMPLE = Map.ofEntries(
            Map.entry("vpc-lattice-svcs:port", Known.PORT),
            Map.entry("vpc-lattice-svcs:requestmethod", Known.REQUEST_METHOD),
            Map.entry("vpc-lattice-svcs:requestpath", Known.REQUEST_PATH),
            Map.entry("vpc-lattice-svcs:servicearn", Known.SERVICE_ARN),
            Map.entry("vpc-lattice-svcs:servicenetworkarn", Known.SERVICE_NETWORK_ARN),
            Map.entry("vpc-lattice-svcs:sourcevpc", Known.SOURCE_VPC),
            Map.entry("vpc-lattice-svcs:sourcevpcowneraccount", Known.SOURCE_VPC_OWNER_ACCOUNT),
            Map.entry("aws:principalarn", Known.PRINCIPAL_ARN),
            Map.entry("aws:principalaccount", Known.PRINCIPAL_ACCOUNT),
            Map.entry("aws:principaltype", Known.PRINCIPAL_TYPE),
            Map.entry("aws:principalorgid", Known.PRINCIPAL_ORG_ID),
            Map.entry("aws:sourceip", Known.SOURCE_IP),
            Map.entry("aws:currenttime", Known.CURRENT_TIME),
            Map.entry("aws:epochtime", Known.EPOCH_TIME),
            Map.entry("aws:securetransport", Known.SECURE_TRANSPORT),
            Map.entry("aws:userid", Known.USER_ID),
            Map.entry("aws:username", Known.USER_NAME));

    private static final Map<String, Known> FAMILIES = Map.of(
            "vpc-lattice-svcs:requestheader/", Known.REQUEST_HEADER,
            "vpc-lattice-svcs:requestquerystring/", Known.REQUEST_QUERY_STRING,
            "aws:principaltag/", Known.PRINCIPAL_TAG,
            "aws:resourcetag/", Known.RESOURCE_TAG);

    final String name;
    final String canonical;
    final Known known;
    /** For the four families: the lower-cased header name, query key or tag key; otherwise null. */
    final String suffix;

    private ConditionKey(String name, String canonical, Known known, String suffix) {
        this.name = name;
        this.canonical = canonical;
        this.known = known;
        this.suffix = suffix;
    }

    /**
     * Resolves a key name, or returns null when {@code name} is not {@code <prefix>:<name>} (prefix of letters,
     * digits, '-', '.', '/' and '_', so that identity-provider keys such as
     * {@code oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub} are keys too) or names one of the families with
     * nothing after the {@code /}.
     */
    static ConditionKey of(String name) {
        int colon = name.indexOf(':');
        if (colon <= 0 || colon == name.length() - 1) {
            return null;
        }
        for (int i = 0; i < colon; i++) {
            char c = name.charAt(i);
            // '.', '/' and '_' occur in identity-provider prefixes: oidc.eks.<region>.amazonaws.com/id/<id>:sub
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                    || c == '/' || c == '_')) {
                return null;
            }
        }
        for (int i = colon + 1; i < name.length(); i++) {
            if (Character.isWhitespace(name.charAt(i))) {
                return null;
            }
        }
        String canonical = name.toLowerCase(Locale.ROOT);
        Known simple = SIMPLE.get(canonical);
        if (simple != null) {
            return new ConditionKey(name, canonical, simple, null);
        }
        int slash = canonical.indexOf('/');
        if (slash > 0) {
            Known family = FAMILIES.get(canonical.substring(0, slash + 1));
            if (family != null) {
                if (slash == canonical.length() - 1) {
                    return null;
                }
                return new ConditionKey(name, canonical, family, canonical.substring(slash + 1));
            }
        }
        return new ConditionKey(name, canonical, Known.OTHER, null);
    }

    /** Canonical form of a key name for {@link RequestContext.Builder#put}. */
    static String canonicalName(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return name;
    }
}
