package dev.trellis.gateway.routing;

import dev.trellis.auth.policy.LatticeAuthorizer;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One listener of one reachable service, compiled: its rules in evaluation order and the authorizer of the service
 * as reached through its network.
 */
public final class ServiceRoute {

    private final ServiceEntry service;
    private final ServiceListener listener;
    private final List<CompiledRule> rules;
    private final LatticeAuthorizer authorizer;
    /** See {@link #targetHeaders()}: the same value for every request forwarded to a group. */
    private final ConcurrentHashMap<String, AsciiString> targetHeaders = new ConcurrentHashMap<>();

    ServiceRoute(ServiceEntry service, ServiceListener listener, List<CompiledRule> rules,
                 LatticeAuthorizer authorizer) {
        this.service = service;
        this.listener = listener;
        this.rules = rules;
        this.authorizer = authorizer;
    }

    /** The first rule that matches; the default rule matches what no other rule does. */
    public CompiledRule match(RequestHead request) {
        for (CompiledRule rule : rules) {
            if (rule.matches(request)) {
                return rule;
            }
        }
        throw new IllegalStateException("listener " + listener.id() + " has no default rule");
    }

    /** The rules in evaluation order, for the next compile to reuse. */
    List<CompiledRule> rules() {
        return rules;
    }

    /** The listener's default rule (evaluated last): the only rule a TLS_PASSTHROUGH listener has (facts §3). */
    public CompiledRule defaultRule() {
        if (rules.isEmpty()) {
            throw new IllegalStateException("listener " + listener.id() + " has no default rule");
        }
        return rules.get(rules.size() - 1);
    }

    /**
     * The {@code x-amzn-lattice-target} values of this listener's requests by target group ARN, filled by the
     * gateway's request path on first use (it owns the header's form; this route only keeps them as long as it lives).
     * As {@code AsciiString}: the HTTP encoder copies its bytes instead of encoding a string char by char.
     */
    public ConcurrentMap<String, AsciiString> targetHeaders() {
        return targetHeaders;
    }

    public ServiceEntry service() {
        return service;
    }

    public ServiceListener listener() {
        return listener;
    }

    public LatticeAuthorizer authorizer() {
        return authorizer;
    }

    @Override
    public String toString() {
        return service.name() + " " + listener.protocol() + ":" + listener.port();
    }
}
