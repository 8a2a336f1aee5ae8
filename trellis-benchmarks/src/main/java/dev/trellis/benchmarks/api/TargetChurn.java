package dev.trellis.benchmarks.api;

import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.Target;

/**
 * Phase 1's mutating call: target churn, the write a control plane serves most once services exist (every pod
 * that starts or stops behind an HTTPRoute becomes a RegisterTargets or DeregisterTargets call of the controller).
 * Each client owns one target group of ten targets and alternately registers and deregisters an eleventh, so the
 * group's document keeps its size and every call changes the store (one transaction, one revision).
 */
final class TargetChurn {

    private TargetChurn() {
    }

    /** One operation per client, each on a target group of its own (created here, untimed). */
    static List<TimedRun.Operation> operations(LatticeClients clients, int count, int targetsPerGroup) {
        List<TimedRun.Operation> operations = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            VpcLatticeClient lattice = clients.get(c);
            // Service numbers past any fleet's keep these addresses apart from the fleet's targets.
            int owner = 60_000 + c;
            String group = ServiceFleet.targetGroup(lattice, String.format("churn-%02d", c),
                    clients.vpc("churn-" + c), owner, 0, targetsPerGroup,
                    new Latencies.Recorder());
            Target extra = Target.builder().id(ServiceFleet.targetAddress(owner, 1, 0)).build();
            operations.add(sequence -> {
                if (sequence % 2 == 0) {
                    lattice.registerTargets(r -> r.targetGroupIdentifier(group).targets(extra));
                } else {
                    lattice.deregisterTargets(r -> r.targetGroupIdentifier(group).targets(extra));
                }
            });
        }
        return operations;
    }
}
