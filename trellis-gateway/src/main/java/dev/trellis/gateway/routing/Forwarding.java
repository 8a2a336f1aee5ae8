package dev.trellis.gateway.routing;

import dev.trellis.model.snapshot.RuleAction;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A forward action's weighted target groups. Picks follow a precomputed smooth weighted round-robin schedule (for
 * weights 50/50 the groups alternate; 90/10 spreads the 10 evenly), so the split holds exactly over every cycle of
 * the total weight; groups of weight 0 get nothing. Lock-free: one atomic counter.
 */
public final class Forwarding {

    private final String[] schedule;
    private final AtomicInteger next = new AtomicInteger();

    Forwarding(List<RuleAction.WeightedTargetGroup> groups) {
        this.schedule = smoothSchedule(groups);
    }

    /** The target group of the next request, or null when every weight is 0. */
    public String pick() {
        if (schedule.length == 0) {
            return null;
        }
        return schedule[Math.floorMod(next.getAndIncrement(), schedule.length)];
    }

    /** Nginx's smooth weighted round robin, unrolled over one cycle. */
    static String[] smoothSchedule(List<RuleAction.WeightedTargetGroup> groups) {
        List<RuleAction.WeightedTargetGroup> weighted = groups.stream().filter(g -> g.weight() > 0).toList();
        int total = weighted.stream().mapToInt(RuleAction.WeightedTargetGroup::weight).sum();
        // Divide by the common divisor so 50/50 cycles in 2 picks, not 100.
        int divisor = 0;
        for (RuleAction.WeightedTargetGroup g : weighted) {
            divisor = gcd(divisor, g.weight());
        }
        if (total == 0) {
            return new String[0];
        }
        int[] weights = weighted.stream().mapToInt(g -> g.weight()).toArray();
        int cycle = total / divisor;
        int[] current = new int[weights.length];
        List<String> schedule = new ArrayList<>(cycle);
        for (int i = 0; i < cycle; i++) {
            int best = 0;
            for (int j = 0; j < weights.length; j++) {
                current[j] += weights[j] / divisor;
                if (current[j] > current[best]) {
                    best = j;
                }
            }
            current[best] -= cycle;
            schedule.add(weighted.get(best).targetGroupId());
        }
        return schedule.toArray(new String[0]);
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
