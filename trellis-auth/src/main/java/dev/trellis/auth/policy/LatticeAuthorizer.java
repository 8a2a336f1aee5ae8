package dev.trellis.auth.policy;

import dev.trellis.auth.Principal;
import java.util.List;
import java.util.Objects;

/**
 * Lattice's authorization of one request (facts §6 "How the levels combine"), for one service as reached through
 * one service network. Build one per (network, service) when compiling a snapshot; {@link #authorize} is then
 * called per request on the event loop.
 *
 * <ul>
 *   <li>A level with auth type NONE is not consulted. When both are NONE the request is allowed without looking at
 *       identity policies (nothing is authorized at all).</li>
 *   <li>A level with AWS_IAM must have a policy that allows the request; AWS_IAM with no policy denies everything.</li>
 *   <li>An authenticated caller's identity-based policies must allow it too; an anonymous caller has none and
 *       none are required.</li>
 *   <li>An explicit deny in any consulted policy wins. When several levels refuse, explicit denies are reported
 *       before implicit ones, and within each in the order network, service, identity ({@link PolicyLevel}).</li>
 * </ul>
 */
public final class LatticeAuthorizer {

    private final String serviceArn;
    private final AuthSetting network;
    private final AuthSetting service;

    public LatticeAuthorizer(String serviceArn, AuthSetting network, AuthSetting service) {
        this.serviceArn = Objects.requireNonNull(serviceArn, "serviceArn");
        this.network = Objects.requireNonNull(network, "network");
        this.service = Objects.requireNonNull(service, "service");
    }

    /** False when both levels are NONE: no authorization happens, so callers need not collect identity policies. */
    public boolean enforcesAuthorization() {
        return network.enforced() || service.enforced();
    }

    /**
     * Authorizes {@code context.principal()} to perform {@code action} on this service.
     *
     * @param action what the request does ({@link LatticeAction#INVOKE} for HTTP/gRPC)
     * @param path the request path as received, without the query string (ignored for CONNECT)
     * @param identityPolicies the caller's identity-based policies (ignored for anonymous callers); these must be
     *     {@link PolicyKind#IDENTITY_BASED}
     * @param context the request's condition keys
     */
    public AuthorizationResult authorize(LatticeAction action, String path, List<Policy> identityPolicies,
                                         RequestContext context) {
        if (!enforcesAuthorization()) {
            return AuthorizationResult.allowed();
        }
        String actionName = action.iamName();
        String resource = action.resource(serviceArn, path);
        Decision networkDecision = decide(network, actionName, resource, context);
        Decision serviceDecision = decide(service, actionName, resource, context);
        Principal principal = context.principal();
        Decision identityDecision = null;
        if (!principal.isAnonymous()) {
            identityDecision = Decision.NOT_APPLICABLE;
            for (int i = 0; i < identityPolicies.size(); i++) {
                identityDecision = identityDecision.and(identityPolicies.get(i).evaluate(actionName, resource, context));
                if (identityDecision == Decision.EXPLICIT_DENY) {
                    break;
                }
            }
        }
        PolicyLevel refusing = null;
        boolean explicit = true;
        if (networkDecision == Decision.EXPLICIT_DENY) {
            refusing = PolicyLevel.NETWORK;
        } else if (serviceDecision == Decision.EXPLICIT_DENY) {
            refusing = PolicyLevel.SERVICE;
        } else if (identityDecision == Decision.EXPLICIT_DENY) {
            refusing = PolicyLevel.IDENTITY;
        } else {
            explicit = false;
            if (networkDecision != null && networkDecision != Decision.ALLOW) {
                refusing = PolicyLevel.NETWORK;
            } else if (serviceDecision != null && serviceDecision != Decision.ALLOW) {
                refusing = PolicyLevel.SERVICE;
            } else if (identityDecision != null && identityDecision != Decision.ALLOW) {
                refusing = PolicyLevel.IDENTITY;
            }
        }
        if (refusing == null) {
            return AuthorizationResult.allowed();
        }
        return AuthorizationResult.denied(refusing, explicit, principal.arn(), actionName, resource);
    }

    /** The decision of one level, or null when the level is not consulted (auth type NONE). */
    private static Decision decide(AuthSetting level, String action, String resource, RequestContext context) {
        if (!level.enforced()) {
            return null;
        }
        if (level.policy().isEmpty()) {
            return Decision.NOT_APPLICABLE;
        }
        return level.policy().get().evaluate(action, resource, context);
    }

    @Override
    public String toString() {
        return "LatticeAuthorizer{" + serviceArn + ", network " + network.authType() + ", service "
                + service.authType() + "}";
    }
}
