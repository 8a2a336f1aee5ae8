package dev.trellis.gateway.routing;

import dev.trellis.model.snapshot.HttpMatch;
import dev.trellis.model.snapshot.ListenerRule;
import java.util.List;
import java.util.Locale;

/**
 * A listener rule ready for matching: case folding done once, here. All conditions must hold: the method (exact,
 * case-sensitive), the path (exact or string prefix, case-insensitive unless the rule says otherwise) and each
 * header match (any value of the header; names case-insensitive, values as the rule says). The default rule matches
 * everything.
 */
public final class CompiledRule {

    private final ListenerRule rule;
    private final String method;
    private final String path;
    private final boolean pathPrefix;
    private final boolean pathCaseSensitive;
    private final List<HeaderCondition> headers;
    private final Forwarding forwarding;

    private record HeaderCondition(String name, HttpMatch.HeaderMatchType type, String value, boolean caseSensitive) {

        boolean matches(String actual) {
            String candidate = caseSensitive ? actual : actual.toLowerCase(Locale.ROOT);
            return switch (type) {
                case EXACT -> candidate.equals(value);
                case PREFIX -> candidate.startsWith(value);
                case CONTAINS -> candidate.contains(value);
            };
        }
    }

    CompiledRule(ListenerRule rule, Forwarding forwarding) {
        this.rule = rule;
        this.forwarding = forwarding;
        HttpMatch match = rule.match();
        if (match == null) {
            method = null;
            path = null;
            pathPrefix = false;
            pathCaseSensitive = true;
            headers = List.of();
            return;
        }
        method = match.method();
        HttpMatch.PathMatch pathMatch = match.path();
        if (pathMatch == null) {
            path = null;
            pathPrefix = false;
            pathCaseSensitive = true;
        } else {
            pathCaseSensitive = pathMatch.caseSensitive();
            path = pathCaseSensitive ? pathMatch.value() : pathMatch.value().toLowerCase(Locale.ROOT);
            pathPrefix = pathMatch.prefix();
        }
        headers = match.headers().stream()
                .map(h -> new HeaderCondition(h.name(), h.type(),
                        h.caseSensitive() ? h.value() : h.value().toLowerCase(Locale.ROOT), h.caseSensitive()))
                .toList();
    }

    /** True when every condition of this rule holds for the request. */
    public boolean matches(RequestHead request) {
        if (method != null && !method.equals(request.method())) {
            return false;
        }
        if (path != null) {
            String actual = pathCaseSensitive ? request.path() : request.path().toLowerCase(Locale.ROOT);
            if (pathPrefix ? !actual.startsWith(path) : !actual.equals(path)) {
                return false;
            }
        }
        for (HeaderCondition condition : headers) {
            boolean any = false;
            for (String value : request.headerValues(condition.name())) {
                if (condition.matches(value)) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    public ListenerRule rule() {
        return rule;
    }

    /** Where a matching request goes: target groups by weight, or null for a fixed response. */
    public Forwarding forwarding() {
        return forwarding;
    }

    /** The status of a fixed response, or null. */
    public Integer fixedResponseStatus() {
        return rule.action().fixedResponseStatus();
    }

    @Override
    public String toString() {
        return rule.isDefault() ? "default rule " + rule.id() : "rule " + rule.id() + " (priority " + rule.priority() + ")";
    }
}
