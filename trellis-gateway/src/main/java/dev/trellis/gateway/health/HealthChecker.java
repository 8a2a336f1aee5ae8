package dev.trellis.gateway.health;

import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.target.PoolTarget;
import dev.trellis.gateway.target.TargetHealth;
import dev.trellis.gateway.target.TargetPool;
import dev.trellis.gateway.target.TargetStatus;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checks of the targets in this gateway's VPC, and their reports to the control plane.
 *
 * <p>{@link #update} is called with every snapshot swapped in (on the swapping thread). For every local target
 * group whose health check is enabled it keeps one {@link TargetCheck} per non-draining target, keyed like the
 * target's health (group, address, port): a check whose target and settings are unchanged keeps running (with its
 * counters), a changed one restarts, a removed one stops. Checks run on the gateway's event loops (each check
 * pinned to one loop) with Netty's non-blocking client; nothing in here blocks a loop.
 *
 * <p>State machine per target (facts §5): INITIAL until the first check; HEALTHY after one pass; from INITIAL or
 * HEALTHY to UNHEALTHY after {@code unhealthyThreshold} consecutive failures; back to HEALTHY after
 * {@code healthyThreshold} consecutive passes. The first check of a target fires at a random point within its
 * first interval, so that thousands of targets do not all fire at once; later ones follow at the interval,
 * independent of how long a check takes (Lattice: "each health check request is independent").
 *
 * <p>Lattice's settings are in seconds; {@code timeUnit} says how long one of them is (1 s in production; tests
 * shrink it to run Lattice's settings quickly).
 */
public final class HealthChecker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

    private final EventLoopGroup loops;
    private final long unitNanos;
    private final HealthReporter reporter;
    /** The running checks, by target group and then by target ({@link TargetPool#healthKey}). */
    private final Map<String, Map<String, TargetCheck>> checks = new HashMap<>();
    private GatewaySnapshot seen;
    private boolean closed;

    /**
     * Creates a checker that checks nothing until {@link #update}.
     *
     * @param loops where checks run: the gateway's event loops
     * @param current the snapshot being served, for full reports
     * @param timeUnit the length of one unit of the snapshot's intervals and timeouts (one second in production)
     * @param reportInterval how often changes go to the sink
     * @param fullReportInterval how often the full state goes to the sink
     */
    public HealthChecker(EventLoopGroup loops, TargetHealthSink sink, Supplier<GatewaySnapshot> current,
                         Duration timeUnit, Duration reportInterval, Duration fullReportInterval) {
        this.loops = Objects.requireNonNull(loops, "loops");
        this.unitNanos = timeUnit.toNanos();
        if (unitNanos <= 0) {
            throw new IllegalArgumentException("the health-check time unit must be positive, not " + timeUnit);
        }
        this.reporter = new HealthReporter(Objects.requireNonNull(sink, "sink"), current, reportInterval,
                fullReportInterval);
    }

    /**
     * Follows a swap from {@code previous} (null at start) to {@code current}: starts, keeps, restarts and stops
     * checks, sets UNAVAILABLE on targets of groups whose check cannot run, and marks for reporting the targets
     * that are new, started or stopped draining, or had checks switched on or off.
     */
    public synchronized void update(GatewaySnapshot previous, GatewaySnapshot current) {
        if (closed) {
            return;
        }
        seen = current;
        for (TargetPool pool : current.targetPools().values()) {
            String groupId = pool.group().id();
            TargetPool old = previous == null ? null : previous.targetPool(groupId);
            if (old == pool) {
                // The swap reused the pool: the group did not change, nor did its targets or settings. Its checks
                // go on as they are, untouched: a swap of 50,000 unchanged targets costs a lookup per group, and
                // writes nothing into these long-lived maps.
                continue;
            }
            updateGroup(pool, old, checks.computeIfAbsent(groupId, id -> new HashMap<>()));
        }
        checks.entrySet().removeIf(group -> {
            if (current.targetPool(group.getKey()) != null) {
                return false;
            }
            group.getValue().values().forEach(TargetCheck::stop);
            return true;
        });
        log.debug("health checks: {} target groups of revision {}", checks.size(), current.revision());
    }

    /**
     * The checks of a group that changed (or is new), updated in place: keeps those whose target and settings are
     * the same, starts the others, stops the rest; marks for reporting the targets that are new, started or stopped
     * draining, or had checks switched on or off. In place, because the map outlives swaps: a swap that adds one
     * target to a group of hundreds adds one entry to it, rather than a new map whose every entry the next young
     * collection copies.
     *
     * @param old the group's pool in the previous snapshot, or null
     * @param group the group's checks until now, updated
     */
    private void updateGroup(TargetPool pool, TargetPool old, Map<String, TargetCheck> group) {
        String groupId = pool.group().id();
        Map<String, PoolTarget> before = new HashMap<>();
        if (old != null) {
            for (PoolTarget target : old.allTargets()) {
                before.put(key(old, target), target);
            }
        }
        HealthCheckSettings settings = null;
        String unusable = null;
        try {
            settings = HealthCheckSettings.of(pool.group());
        } catch (HealthCheckSettings.UnusableException e) {
            unusable = e.reasonCode();
            log.warn("target group {}: health checks are on but cannot run ({}); its targets are UNAVAILABLE",
                    groupId, e.getMessage());
        }
        boolean switched = old != null && checksEnabled(old) != checksEnabled(pool);
        Set<String> checked = new HashSet<>();
        for (PoolTarget target : pool.allTargets()) {
            String key = key(pool, target);
            PoolTarget was = before.get(key);
            boolean changed = was == null || was.draining() != target.draining() || switched;
            if (unusable != null && !target.draining()) {
                changed |= target.health().set(TargetStatus.UNAVAILABLE, unusable);
            }
            if (changed) {
                reporter.changed(groupId, target);
            }
            if (settings == null || target.draining()) {
                continue;
            }
            checked.add(key);
            TargetCheck check = group.get(key);
            if (check != null && check.settings.equals(settings) && check.target.health() == target.health()) {
                continue;
            }
            if (check != null) {
                check.stop();
            }
            if (target.health().status() == TargetStatus.UNAVAILABLE
                    && target.health().set(TargetStatus.INITIAL, null)) {
                // Its settings could not run before: it must pass a check again.
                reporter.changed(groupId, target);
            }
            TargetCheck started = new TargetCheck(groupId, target, settings, loops.next());
            group.put(key, started);
            started.start();
        }
        group.entrySet().removeIf(entry -> {
            if (checked.contains(entry.getKey())) {
                return false;
            }
            entry.getValue().stop();
            return true;
        });
    }

    /**
     * Starts checking {@code current} unless a swap has already been followed: for a server that registers for
     * swaps first and then reads the current snapshot, so that a swap in between is neither missed nor undone.
     */
    public synchronized void startWith(GatewaySnapshot current) {
        if (seen == null) {
            update(null, current);
        }
    }

    /** Targets checked now (not draining, in a group whose check is enabled and can run). */
    public synchronized int checkedTargets() {
        int count = 0;
        for (Map<String, TargetCheck> group : checks.values()) {
            count += group.size();
        }
        return count;
    }

    /** Stops every check and the reporting thread. Checks in flight finish on their own and are ignored. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Map<String, TargetCheck> group : checks.values()) {
            group.values().forEach(TargetCheck::stop);
        }
        checks.clear();
        reporter.close();
    }

    private static boolean checksEnabled(TargetPool pool) {
        return pool.group().healthCheck() != null && pool.group().healthCheck().enabled();
    }

    private static String key(TargetPool pool, PoolTarget target) {
        return TargetPool.healthKey(pool.group().id(), target.id(), target.port());
    }

    /**
     * The checks of one target, pinned to one event loop. The consecutive counters are touched only on that loop;
     * the health object is written there too (and read by every loop).
     */
    private final class TargetCheck implements Runnable {
        private final String groupId;
        private final PoolTarget target;
        private final HealthCheckSettings settings;
        private final EventLoop loop;
        private final InetSocketAddress address;
        private final long intervalNanos;
        private final long timeoutNanos;
        private volatile boolean stopped;
        private volatile io.netty.util.concurrent.ScheduledFuture<?> schedule;
        private int passes;
        private int failures;

        TargetCheck(String groupId, PoolTarget target, HealthCheckSettings settings, EventLoop loop) {
            this.groupId = groupId;
            this.target = target;
            this.settings = settings;
            this.loop = loop;
            this.address = new InetSocketAddress(target.address().getAddress(), settings.portFor(target.port()));
            this.intervalNanos = settings.interval() * unitNanos;
            this.timeoutNanos = settings.timeout() * unitNanos;
        }

        void start() {
            long jitter = ThreadLocalRandom.current().nextLong(intervalNanos);
            schedule = loop.scheduleAtFixedRate(this, jitter, intervalNanos, TimeUnit.NANOSECONDS);
        }

        void stop() {
            stopped = true;
            var scheduled = schedule;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
        }

        @Override
        public void run() {
            if (stopped) {
                return;
            }
            HealthProbe.run(loop, address, settings, timeoutNanos).addListener(f -> {
                if (f.isSuccess()) {
                    onResult((ProbeResult) f.getNow());
                }
            });
        }

        private void onResult(ProbeResult result) {
            if (stopped) {
                return;
            }
            TargetHealth health = target.health();
            TargetStatus status = health.status();
            boolean changed;
            if (result.passed()) {
                failures = 0;
                passes++;
                // One pass makes a new target healthy; an unhealthy one needs healthyThreshold in a row.
                boolean healthy = status == TargetStatus.HEALTHY || status == TargetStatus.INITIAL
                        || status == TargetStatus.UNAVAILABLE || passes >= settings.healthyThreshold();
                changed = health.set(healthy ? TargetStatus.HEALTHY : TargetStatus.UNHEALTHY,
                        healthy ? null : health.reasonCode());
            } else {
                passes = 0;
                failures++;
                if (status == TargetStatus.UNHEALTHY || failures >= settings.unhealthyThreshold()) {
                    changed = health.set(TargetStatus.UNHEALTHY, result.reasonCode());
                } else {
                    changed = false;
                }
            }
            if (changed) {
                log.info("target {} of {}: {} ({})", target.ipPort(), groupId, health, result.detail());
                reporter.changed(groupId, target);
            } else {
                log.debug("target {} of {}: check {} ({}), still {}", target.ipPort(), groupId,
                        result.passed() ? "passed" : "failed", result.detail(), health);
            }
        }
    }
}
