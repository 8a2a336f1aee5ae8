package dev.trellis.gateway.target;

import dev.trellis.model.snapshot.TargetGroupEntry;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The targets of one target group in this gateway's VPC, ready for load balancing: round robin among the healthy
 * targets (HEALTHY, or UNAVAILABLE when health checks are off), and among all non-draining ones when none is
 * healthy (fail-open, facts §5: INITIAL and UNHEALTHY targets then get traffic too). Draining targets never get a
 * new request, not even when every target drains: then {@link #pick()} answers null and the client gets a 503.
 *
 * <p>Immutable apart from one atomic counter; {@link #pick()} runs on event loops without locks. It scans the
 * targets once per pick (no allocation), which is cheap next to a proxied request even at Lattice's 1,000 targets
 * per group.
 */
public final class TargetPool {

    private static final Logger log = LoggerFactory.getLogger(TargetPool.class);

    private final TargetGroupEntry group;
    /** The targets that may get new requests: registered and not draining. */
    private final PoolTarget[] targets;
    /** Every target of the pool, draining ones included, in registration order. */
    private final List<PoolTarget> allTargets;
    private final AtomicInteger next = new AtomicInteger();

    private TargetPool(TargetGroupEntry group, List<PoolTarget> all) {
        this.group = group;
        this.allTargets = List.copyOf(all);
        this.targets = all.stream().filter(t -> !t.draining()).toArray(PoolTarget[]::new);
    }

    /**
     * The pool of {@code group}'s registered targets, draining ones included (they are reported, never picked). A
     * target whose id is not an IP address cannot be connected to without a name lookup (which must not happen on
     * an event loop) and is left out, logged.
     *
     * <p>A new target starts INITIAL when the group's health check is enabled, else UNAVAILABLE; a known target
     * follows the group's switch ({@link TargetHealth#followChecksEnabled}).
     *
     * @param health the health of every target already known, by {@link #healthKey}; new targets are added to it
     */
    public static TargetPool of(TargetGroupEntry group, Map<String, TargetHealth> health) {
        return of(group, Map.of(), health);
    }

    /**
     * The pool of {@code group} in a new snapshot, given the pool of the same group in the snapshot before: the very
     * same pool when the group did not change (a typical swap changes a few groups, so the others cost nothing —
     * no allocation, the round-robin position kept), else a new pool that keeps each known target's
     * {@link PoolTarget} (its health, its address) unless it started or stopped draining: registering one target in
     * a group of hundreds then leaves one new target behind, not a copy of the group (what outlives a swap is what
     * the collector's next young pause copies).
     *
     * @param previous the group's pool in the previous snapshot, or null
     */
    public static TargetPool carryOver(TargetGroupEntry group, TargetPool previous) {
        if (previous == null) {
            return of(group, new HashMap<>());
        }
        if (previous.group.equals(group)) {
            return previous;
        }
        Map<String, PoolTarget> known = new HashMap<>();
        for (PoolTarget target : previous.allTargets) {
            known.put(healthKey(group.id(), target.id(), target.port()), target);
        }
        return of(group, known, new HashMap<>());
    }

    /**
     * The pool of {@code group}: a target found in {@code known} (by {@link #healthKey}) keeps its {@link PoolTarget}
     * when its draining did not change, its health when it did; the others find their health in {@code health} or
     * start a new one there.
     */
    private static TargetPool of(TargetGroupEntry group, Map<String, PoolTarget> known,
                                 Map<String, TargetHealth> health) {
        boolean checked = group.healthCheck() != null && group.healthCheck().enabled();
        List<PoolTarget> targets = new ArrayList<>();
        for (TargetGroupEntry.Target target : group.targets()) {
            int port = target.port() > 0 ? target.port() : group.port();
            String key = healthKey(group.id(), target.id(), port);
            PoolTarget was = known.get(key);
            if (was != null) {
                was.health().followChecksEnabled(checked);
                targets.add(was.draining() == target.draining() ? was
                        : new PoolTarget(was.id(), port, was.address(), target.draining(), was.health()));
                continue;
            }
            byte[] ip = NetUtil.createByteArrayFromIpAddressString(target.id());
            if (ip == null) {
                log.warn("target {} of {} is not an IP address; the gateway cannot reach it", target.id(),
                        group.id());
                continue;
            }
            InetSocketAddress address;
            try {
                address = new InetSocketAddress(InetAddress.getByAddress(ip), port);
            } catch (UnknownHostException e) {
                throw new IllegalStateException("an IP literal of " + ip.length + " bytes", e);
            }
            TargetHealth targetHealth = health.get(key);
            if (targetHealth == null) {
                targetHealth = new TargetHealth(checked);
                health.put(key, targetHealth);
            } else {
                targetHealth.followChecksEnabled(checked);
            }
            targets.add(new PoolTarget(target.id(), port, address, target.draining(), targetHealth));
        }
        return new TargetPool(group, targets);
    }

    /** The key a target's health is kept under across snapshots: group, id and port. */
    public static String healthKey(String targetGroupId, String targetId, int port) {
        return targetGroupId + "|" + targetId + "|" + port;
    }

    /**
     * The next target in round-robin order among healthy ones (all non-draining ones if none is healthy); null
     * when every target drains or there is none.
     */
    public PoolTarget pick() {
        int n = targets.length;
        if (n == 0) {
            return null;
        }
        int healthy = 0;
        for (PoolTarget target : targets) {
            if (target.health().isHealthy()) {
                healthy++;
            }
        }
        int turn = Math.floorMod(next.getAndIncrement(), healthy == 0 ? n : healthy);
        if (healthy == 0 || healthy == n) {
            return targets[turn];
        }
        for (PoolTarget target : targets) {
            if (target.health().isHealthy() && turn-- == 0) {
                return target;
            }
        }
        // Health changed between the two scans: any target will do.
        return targets[Math.floorMod(turn, n)];
    }

    /** A target other than {@code tried} for a retry, or null when there is no other. */
    public PoolTarget pickOtherThan(PoolTarget tried) {
        for (int i = 0; i < targets.length; i++) {
            PoolTarget candidate = pick();
            if (candidate != tried) {
                return candidate;
            }
        }
        return null;
    }

    public TargetGroupEntry group() {
        return group;
    }

    /** The targets traffic may go to (registered and not draining): what the health checker checks. */
    public List<PoolTarget> targets() {
        return List.of(targets);
    }

    /** Every target, draining ones included: what health reports cover. */
    public List<PoolTarget> allTargets() {
        return allTargets;
    }

    @Override
    public String toString() {
        return "TargetPool[" + group.id() + ", " + targets.length + " targets, "
                + (allTargets.size() - targets.length) + " draining]";
    }
}
