package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.BackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCMethodMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPPathMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TLSRouteRule;
import java.util.ArrayList;
import java.util.List;

/**
 * GRPCRoute and TLSRoute specs in the HTTPRoute shape, so one builder, deployer and reconciler serve all three kinds
 * ({@link RouteKind} holds what differs). The translation keeps everything the route says, including what Lattice cannot
 * express, so {@link RouteModelBuilder} refuses it with a message that names the original field.
 */
final class RouteSpecs {

    /** Path type that marks a match Lattice cannot express (a regular expression, a method without its service). */
    static final String INEXPRESSIBLE = "RegularExpression";

    private RouteSpecs() {
    }

    /**
     * A GRPCRoute as the AWS controller builds it (controller-facts §2): each method match becomes POST plus a path,
     * {@code /<service>/<method>} exact, {@code /<service>/} prefix for a service alone, {@code /} prefix without a
     * method match; header matches stay header matches. A method without a service, or a RegularExpression method
     * match, has no Lattice path match and is marked {@link #INEXPRESSIBLE}.
     */
    static HTTPRouteSpec fromGrpc(GRPCRouteSpec grpc) {
        if (grpc == null) {
            return null;
        }
        HTTPRouteSpec spec = new HTTPRouteSpec();
        spec.setHostnames(grpc.getHostnames());
        spec.setParentRefs(grpc.getParentRefs());
        List<HTTPRouteRule> rules = new ArrayList<>();
        for (GRPCRouteRule rule : grpc.getRules() == null ? List.<GRPCRouteRule>of() : grpc.getRules()) {
            HTTPRouteRule http = new HTTPRouteRule();
            List<HTTPRouteMatch> matches = new ArrayList<>();
            for (GRPCRouteMatch match : rule.getMatches() == null ? List.<GRPCRouteMatch>of() : rule.getMatches()) {
                matches.add(fromGrpc(match));
            }
            http.setMatches(matches.isEmpty() ? null : matches);
            if (rule.getFilters() != null && !rule.getFilters().isEmpty()) {
                http.setFilters(rule.getFilters().stream().map(f -> new HTTPRouteFilter()).toList());
            }
            List<HTTPBackendRef> refs = new ArrayList<>();
            for (GRPCBackendRef ref : rule.getBackendRefs() == null ? List.<GRPCBackendRef>of() : rule.getBackendRefs()) {
                refs.add(new HTTPBackendRef(null, ref.getGroup(), ref.getKind(), ref.getName(), ref.getNamespace(),
                        ref.getPort(), ref.getWeight()));
            }
            http.setBackendRefs(refs);
            rules.add(http);
        }
        spec.setRules(rules);
        return spec;
    }

    private static HTTPRouteMatch fromGrpc(GRPCRouteMatch match) {
        HTTPRouteMatch http = new HTTPRouteMatch();
        http.setMethod("POST"); // every gRPC call is a POST (docs/gateway.md "Target group protocols")
        GRPCMethodMatch method = match.getMethod();
        String service = method == null ? null : method.getService();
        String name = method == null ? null : method.getMethod();
        if (method != null && method.getType() != null && !"Exact".equals(method.getType())) {
            http.setPath(new HTTPPathMatch(INEXPRESSIBLE, (service == null ? "*" : service) + "/" + (name == null ? "*" : name)));
        } else if (service != null && name != null) {
            http.setPath(new HTTPPathMatch("Exact", "/" + service + "/" + name));
        } else if (service != null) {
            http.setPath(new HTTPPathMatch("PathPrefix", "/" + service + "/"));
        } else if (name != null) {
            http.setPath(new HTTPPathMatch(INEXPRESSIBLE, "*/" + name));
        } else {
            http.setPath(new HTTPPathMatch("PathPrefix", "/"));
        }
        if (match.getHeaders() != null && !match.getHeaders().isEmpty()) {
            List<HTTPHeaderMatch> headers = new ArrayList<>();
            for (GRPCHeaderMatch header : match.getHeaders()) {
                headers.add(new HTTPHeaderMatch(header.getName(), header.getType(), header.getValue()));
            }
            http.setHeaders(headers);
        }
        return http;
    }

    /**
     * A TLSRoute: its rules become rules without matches (Lattice forwards a passthrough listener's connections by its
     * default action; {@link RouteModelBuilder} checks there is exactly one rule and a hostname).
     */
    static HTTPRouteSpec fromTls(List<String> hostnames, List<io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference> parents,
            List<TLSRouteRule> tlsRules) {
        HTTPRouteSpec spec = new HTTPRouteSpec();
        spec.setHostnames(hostnames);
        spec.setParentRefs(parents);
        List<HTTPRouteRule> rules = new ArrayList<>();
        for (TLSRouteRule rule : tlsRules == null ? List.<TLSRouteRule>of() : tlsRules) {
            HTTPRouteRule http = new HTTPRouteRule();
            List<HTTPBackendRef> refs = new ArrayList<>();
            for (BackendRef ref : rule.getBackendRefs() == null ? List.<BackendRef>of() : rule.getBackendRefs()) {
                refs.add(new HTTPBackendRef(null, ref.getGroup(), ref.getKind(), ref.getName(), ref.getNamespace(),
                        ref.getPort(), ref.getWeight()));
            }
            http.setBackendRefs(refs);
            rules.add(http);
        }
        spec.setRules(rules);
        return spec;
    }
}
