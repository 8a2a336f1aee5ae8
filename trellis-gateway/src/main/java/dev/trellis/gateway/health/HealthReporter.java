package dev.trellis.gateway.health;

import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.target.PoolTarget;
import dev.trellis.gateway.target.TargetPool;
import dev.trellis.model.gateway.TargetHealthReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends target health to a {@link TargetHealthSink} from its own thread, so a slow or failing control plane never
 * touches an event loop. Every {@code interval} it sends what changed since the last call (one entry per target,
 * the state at sending time); at start, every {@code fullInterval}, and after a call that threw, it sends every
 * target of the current snapshot instead.
 *
 * <p>Changes are marked with {@link #changed} from any thread (event loops, the swapping thread): a put into a
 * concurrent map, nothing more.
 */
final class HealthReporter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthReporter.class);

    private record Pending(String targetGroupId, PoolTarget target) {
    }

    private final TargetHealthSink sink;
    private final Supplier<GatewaySnapshot> current;
    private final long fullIntervalNanos;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService thread;
    /** Only the reporting thread touches these two. */
    private boolean fullDue = true;
    private long lastFull;

    HealthReporter(TargetHealthSink sink, Supplier<GatewaySnapshot> current, Duration interval,
                   Duration fullInterval) {
        this.sink = sink;
        this.current = current;
        this.fullIntervalNanos = fullInterval.toNanos();
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "trellis-health-report");
            t.setDaemon(true);
            return t;
        });
        long period = interval.toNanos();
        thread.scheduleWithFixedDelay(this::flush, period, period, TimeUnit.NANOSECONDS);
    }

    /** The status or reason of {@code target} (of group {@code targetGroupId}) may have changed. */
    void changed(String targetGroupId, PoolTarget target) {
        pending.put(TargetPool.healthKey(targetGroupId, target.id(), target.port()),
                new Pending(targetGroupId, target));
    }

    private void flush() {
        // A scheduled task that throws is never run again: nothing may escape, not even an Error from the sink.
        try {
            List<TargetHealthReport> reports = collect();
            if (reports.isEmpty()) {
                return;
            }
            try {
                sink.report(reports);
            } catch (RuntimeException | Error e) {
                log.warn("the target health sink failed on {} reports ({}); the full state goes next time",
                        reports.size(), e.toString());
                fullDue = true;
            }
        } catch (RuntimeException e) {
            log.error("target health reporting failed: {}", e.toString(), e);
        }
    }

    private List<TargetHealthReport> collect() {
        long now = System.nanoTime();
        List<TargetHealthReport> reports = new ArrayList<>();
        if (fullDue || now - lastFull >= fullIntervalNanos) {
            fullDue = false;
            lastFull = now;
            // Cleared before reading: a change marked from here on is read again next time, at worst twice.
            pending.clear();
            for (TargetPool pool : current.get().targetPools().values()) {
                for (PoolTarget target : pool.allTargets()) {
                    reports.add(report(pool.group().id(), target));
                }
            }
            return reports;
        }
        for (Map.Entry<String, Pending> entry : pending.entrySet()) {
            // Removed only if not marked again meanwhile (a newer mark, say after a swap, stays for next time).
            pending.remove(entry.getKey(), entry.getValue());
            reports.add(report(entry.getValue().targetGroupId(), entry.getValue().target()));
        }
        return reports;
    }

    private static TargetHealthReport report(String groupId, PoolTarget target) {
        return new TargetHealthReport(groupId, target.id(), target.port(), target.status().name(),
                target.reasonCode());
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
