package dev.trellis.model.snapshot;

import java.util.List;

/**
 * What a rule does: forward to target groups by weight, or answer with a fixed status. Exactly one is set.
 *
 * @param forward the weighted target groups (1–10), or empty for a fixed response
 * @param fixedResponseStatus the status of a fixed response, or null when forwarding
 */
public record RuleAction(List<WeightedTargetGroup> forward, Integer fixedResponseStatus) {

    public RuleAction {
        forward = forward == null ? List.of() : List.copyOf(forward);
        if (forward.isEmpty() == (fixedResponseStatus == null)) {
            throw new IllegalArgumentException("a rule action either forwards or answers with a fixed status");
        }
        if (forward.size() > 10) {
            throw new IllegalArgumentException("a forward action has at most 10 target groups, not " + forward.size());
        }
    }

    public static RuleAction forward(List<WeightedTargetGroup> targetGroups) {
        return new RuleAction(targetGroups, null);
    }

    public static RuleAction fixedResponse(int status) {
        return new RuleAction(List.of(), status);
    }

    public boolean forwards() {
        return fixedResponseStatus == null;
    }

    /** A target group and its share of traffic; weight 0 gets nothing. */
    public record WeightedTargetGroup(String targetGroupId, int weight) {
        public WeightedTargetGroup {
            if (weight < 0 || weight > 999) {
                throw new IllegalArgumentException("weight must be 0-999, not " + weight);
            }
        }
    }
}
