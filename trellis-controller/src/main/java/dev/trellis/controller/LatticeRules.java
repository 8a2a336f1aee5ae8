package dev.trellis.controller;

import dev.trellis.controller.RouteModel.RuleModel;
import dev.trellis.controller.RouteModel.WeightedTargetGroup;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Route rules → Lattice rules with Gateway API semantics, which a Lattice rule (one match; a string-prefix path;
 * first match by priority wins) does not have by itself:
 * <ul>
 *   <li>a rule with several matches (ORed) becomes one Lattice rule per match;</li>
 *   <li>a {@code PathPrefix} matches whole path segments ({@code /v2} matches {@code /v2} and {@code /v2/x}, not
 *       {@code /v2x}; a trailing {@code /} in the prefix is ignored), so {@code /p} becomes two Lattice rules, exact
 *       {@code /p} and prefix {@code /p/};</li>
 *   <li>priorities follow Gateway API precedence, not rule order: an exact path before a prefix, a longer prefix
 *       before a shorter one, a method match before none, more header matches before fewer, then rule order and
 *       match order.</li>
 * </ul>
 * Paths are case-sensitive (Gateway API); the deployer builds Lattice path matches with {@code caseSensitive: true}.
 */
final class LatticeRules {

    /** One route match ready to become Lattice rules, with what orders it. */
    private record Entry(int ruleIndex, int matchIndex, boolean exact, String path, String method,
            Map<String, String> headers, List<WeightedTargetGroup> forwards) {
    }

    private static final Comparator<Entry> PRECEDENCE = Comparator
            .comparing((Entry e) -> !e.exact())
            .thenComparing(e -> -e.path().length())
            .thenComparing(e -> e.method() == null)
            .thenComparing(e -> -e.headers().size())
            .thenComparingInt(Entry::ruleIndex)
            .thenComparingInt(Entry::matchIndex);

    private LatticeRules() {
    }

    /** How many Lattice rules {@link #of} makes for these route rules (checked against the 100-rule limit first). */
    static int count(List<HTTPRouteRule> rules, boolean segments) {
        int count = 0;
        for (HTTPRouteRule rule : rules) {
            for (HTTPRouteMatch match : matches(rule)) {
                count += !segments || segmentPrefix(match) == null ? 1 : 2;
            }
        }
        return count;
    }

    /**
     * The Lattice rules for a route's rules, priorities 1..n in precedence order.
     *
     * @param forwards per route rule, where it forwards (empty: a fixed 500, see {@link RuleModel})
     * @param segments whether a {@code PathPrefix} matches whole segments (two Lattice rules, Gateway API's meaning);
     *                 false for GRPCRoutes, whose service matches are the prefix {@code /<service>/} as written
     */
    static List<RuleModel> of(List<HTTPRouteRule> rules, List<List<WeightedTargetGroup>> forwards, boolean segments) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            List<HTTPRouteMatch> matches = matches(rules.get(i));
            for (int m = 0; m < matches.size(); m++) {
                HTTPRouteMatch match = matches.get(m);
                boolean exact = match != null && match.getPath() != null && "Exact".equals(match.getPath().getType());
                String path = match == null || match.getPath() == null || match.getPath().getValue() == null ? "/"
                        : match.getPath().getValue();
                Map<String, String> headers = new LinkedHashMap<>();
                if (match != null && match.getHeaders() != null) {
                    for (HTTPHeaderMatch header : match.getHeaders()) {
                        headers.put(header.getName(), header.getValue());
                    }
                }
                entries.add(new Entry(i, m, exact, exact || !segments ? path : trimTrailingSlash(path),
                        match == null ? null : match.getMethod(), headers, forwards.get(i)));
            }
        }
        entries.sort(PRECEDENCE);
        List<RuleModel> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.exact() || "/".equals(e.path()) || !segments) {
                out.add(new RuleModel(out.size() + 1, e.exact() ? "exact" : "prefix", e.path(), e.method(), e.headers(),
                        e.forwards()));
            } else {
                // a segment prefix: the path itself, and everything below it
                out.add(new RuleModel(out.size() + 1, "exact", e.path(), e.method(), e.headers(), e.forwards()));
                out.add(new RuleModel(out.size() + 1, "prefix", e.path() + "/", e.method(), e.headers(), e.forwards()));
            }
        }
        return out;
    }

    /** A rule's matches; no match means one that matches everything (prefix {@code /}). */
    private static List<HTTPRouteMatch> matches(HTTPRouteRule rule) {
        List<HTTPRouteMatch> matches = new ArrayList<>();
        if (rule.getMatches() == null || rule.getMatches().isEmpty()) {
            matches.add(null);
        } else {
            matches.addAll(rule.getMatches());
        }
        return matches;
    }

    /** The prefix that needs two Lattice rules, or null (exact, or {@code /}). */
    private static String segmentPrefix(HTTPRouteMatch match) {
        if (match == null || match.getPath() == null || match.getPath().getValue() == null
                || "Exact".equals(match.getPath().getType())) {
            return null;
        }
        String path = trimTrailingSlash(match.getPath().getValue());
        return "/".equals(path) ? null : path;
    }

    private static String trimTrailingSlash(String path) {
        String out = path;
        while (out.length() > 1 && out.endsWith("/")) {
            out = out.substring(0, out.length() - 1);
        }
        return out;
    }
}
