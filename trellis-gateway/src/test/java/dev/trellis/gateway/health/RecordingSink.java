package dev.trellis.gateway.health;

import dev.trellis.model.gateway.TargetHealthReport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A {@link TargetHealthSink} that keeps every call, and can be told to throw on the next ones. */
final class RecordingSink implements TargetHealthSink {

    private final List<List<TargetHealthReport>> calls = new CopyOnWriteArrayList<>();
    private final AtomicInteger failNext = new AtomicInteger();

    @Override
    public void report(List<TargetHealthReport> reports) {
        calls.add(List.copyOf(reports));
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IllegalStateException("the control plane is down (test)");
        }
    }

    /** The next {@code n} calls throw (after being recorded). */
    void failNext(int n) {
        failNext.set(n);
    }

    List<List<TargetHealthReport>> calls() {
        return List.copyOf(calls);
    }

    /** Every report of one target, in the order they were sent. */
    List<TargetHealthReport> of(String groupId, int port) {
        List<TargetHealthReport> out = new ArrayList<>();
        for (List<TargetHealthReport> call : calls) {
            for (TargetHealthReport report : call) {
                if (report.targetGroupId().equals(groupId) && report.port() == port) {
                    out.add(report);
                }
            }
        }
        return out;
    }

    /** The last report of one target, or null. */
    TargetHealthReport last(String groupId, int port) {
        List<TargetHealthReport> all = of(groupId, port);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }
}
