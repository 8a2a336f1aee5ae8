package dev.trellis.auth.policy;

import dev.trellis.auth.Principal;
import java.util.Optional;

/**
 * One compiled statement of a {@link Policy}. Immutable; matching allocates nothing unless a {@code Resource}
 * holds policy variables.
 */
public final class Statement {

    private final String sid;
    private final Effect effect;
    private final PrincipalSpec principals;   // null in identity-based policies
    private final boolean notPrincipal;
    private final WildcardPattern[] actions;
    private final boolean notAction;
    private final ValueTemplate[] resources;
    private final WildcardPattern[] resourcePatterns; // entry null when that resource has variables
    private final boolean notResource;
    private final Condition[] conditions;

    Statement(String sid, Effect effect, PrincipalSpec principals, boolean notPrincipal, WildcardPattern[] actions,
              boolean notAction, ValueTemplate[] resources, boolean notResource, Condition[] conditions) {
        this.sid = sid;
        this.effect = effect;
        this.principals = principals;
        this.notPrincipal = notPrincipal;
        this.actions = actions;
        this.notAction = notAction;
        this.resources = resources;
        this.notResource = notResource;
        this.conditions = conditions;
        this.resourcePatterns = new WildcardPattern[resources.length];
        for (int i = 0; i < resources.length; i++) {
            if (resources[i].isConstant()) {
                ValueTemplate.Resolved r = resources[i].constant();
                resourcePatterns[i] = WildcardPattern.compile(r.chars, r.wild, r.length, false);
            }
        }
    }

    /** The {@code Sid}, if the statement has one. */
    public Optional<String> sid() {
        return Optional.ofNullable(sid);
    }

    public Effect effect() {
        return effect;
    }

    /** Number of conditions (operator-key pairs). */
    public int conditionCount() {
        return conditions.length;
    }

    /** True when this statement applies to the request: principal, action, resource and all conditions match. */
    boolean applies(String action, String resource, RequestContext context) {
        return matchesAction(action)
                && matchesResource(resource, context)
                && matchesPrincipal(context.principal())
                && conditionsHold(context);
    }

    /**
     * How this statement applies: {@link PrincipalSpec#NO_MATCH} when it does not, else how its principal element
     * matched ({@link PrincipalSpec#PRINCIPAL_MATCH} for identity-based statements; a {@code NotPrincipal} that
     * leaves the caller out counts as {@link PrincipalSpec#ACCOUNT_MATCH}, as it names nobody).
     */
    int appliesAt(String action, String resource, RequestContext context) {
        if (!matchesAction(action) || !matchesResource(resource, context)) {
            return PrincipalSpec.NO_MATCH;
        }
        int level;
        if (principals == null) {
            level = PrincipalSpec.PRINCIPAL_MATCH;
        } else if (notPrincipal) {
            level = principals.matches(context.principal()) ? PrincipalSpec.NO_MATCH : PrincipalSpec.ACCOUNT_MATCH;
        } else {
            level = principals.matchLevel(context.principal());
        }
        return level != PrincipalSpec.NO_MATCH && conditionsHold(context) ? level : PrincipalSpec.NO_MATCH;
    }

    private boolean matchesAction(String action) {
        boolean any = false;
        for (WildcardPattern p : actions) {
            if (p.matches(action)) {
                any = true;
                break;
            }
        }
        return any != notAction;
    }

    private boolean matchesResource(String resource, RequestContext context) {
        if (resources.length == 0) {
            return true; // a role trust policy: the role it belongs to is the resource
        }
        boolean any = false;
        for (int i = 0; i < resources.length; i++) {
            WildcardPattern p = resourcePatterns[i];
            if (p != null) {
                if (p.matches(resource)) {
                    any = true;
                    break;
                }
            } else {
                ValueTemplate.Resolved r = resources[i].resolve(context);
                if (r != null && WildcardPattern.glob(r.chars, r.wild, 0, r.length, resource, 0, resource.length(),
                        false)) {
                    any = true;
                    break;
                }
            }
        }
        return any != notResource;
    }

    private boolean matchesPrincipal(Principal principal) {
        if (principals == null) {
            return true; // identity-based: the policy's owner is the principal
        }
        return principals.matches(principal) != notPrincipal;
    }

    private boolean conditionsHold(RequestContext context) {
        for (Condition c : conditions) {
            if (!c.evaluate(context)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return (sid == null ? "" : sid + ": ") + effect;
    }
}
