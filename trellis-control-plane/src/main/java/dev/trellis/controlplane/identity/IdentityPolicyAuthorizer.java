package dev.trellis.controlplane.identity;

import dev.trellis.auth.Principal;
import dev.trellis.auth.policy.Decision;
import dev.trellis.auth.policy.Policy;
import dev.trellis.auth.policy.RequestContext;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.protocol.ApiException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Authorizes API calls with the caller's identity-based policies, as IAM does for a caller in its own account: an
 * explicit deny refuses, otherwise some statement must allow; the account root may do anything. Parsed policies are
 * cached by their text.
 */
public final class IdentityPolicyAuthorizer implements OperationAuthorizer {

    private static final int CACHE_LIMIT = 10_000;

    private final IdentityDirectory directory;
    private final Map<String, Policy> parsed = new ConcurrentHashMap<>();

    public IdentityPolicyAuthorizer(IdentityDirectory directory) {
        this.directory = directory;
    }

    @Override
    public void authorize(Caller caller, String action, String resourceArn) {
        Principal principal = caller.principal();
        if (principal.type() == Principal.Type.Account) {
            return;
        }
        Decision decision = decide(directory.identityPolicies(principal), action, resourceArn,
                RequestContext.builder(principal).build());
        if (decision != Decision.ALLOW) {
            String why = decision == Decision.EXPLICIT_DENY
                    ? "with an explicit deny in an identity-based policy"
                    : "because no identity-based policy allows the " + action + " action";
            throw new ApiException("AccessDeniedException", 403, "User: " + principal.arn()
                    + " is not authorized to perform: " + action + " on resource: " + resourceArn + " " + why);
        }
    }

    /** What these identity-based policy documents together say about {@code action} on {@code resourceArn}. */
    public Decision decide(List<String> documents, String action, String resourceArn, RequestContext context) {
        Decision decision = Decision.NOT_APPLICABLE;
        for (String document : documents) {
            decision = decision.and(policy(document).evaluate(action, resourceArn, context));
        }
        return decision;
    }

    private Policy policy(String document) {
        Policy policy = parsed.get(document);
        if (policy == null) {
            policy = Policy.parseIdentityPolicy(document);
            if (parsed.size() < CACHE_LIMIT) {
                parsed.put(document, policy);
            }
        }
        return policy;
    }
}
