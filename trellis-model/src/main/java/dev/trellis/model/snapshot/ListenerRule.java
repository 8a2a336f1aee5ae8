package dev.trellis.model.snapshot;

import java.util.Objects;

/**
 * One rule of a listener. The default rule has no priority and no match, and is evaluated last.
 *
 * @param priority 1–2000, lower first; null for the default rule
 * @param match the conditions; null for the default rule
 */
public record ListenerRule(String id, String arn, Integer priority, boolean isDefault, HttpMatch match,
                           RuleAction action) {

    public ListenerRule {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(action, "action");
        if (isDefault != (priority == null)) {
            throw new IllegalArgumentException("rule " + id + ": the default rule, and only it, has no priority");
        }
    }
}
