package dev.trellis.gateway.metrics;

import dev.trellis.gateway.GatewaySnapshot;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.target.PoolTarget;
import dev.trellis.gateway.target.TargetStatus;
import dev.trellis.gateway.target.TargetPool;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.ListenerRule;
import dev.trellis.model.snapshot.RuleAction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The gateway's Prometheus metrics, all named {@code trellis_gateway_*}:
 *
 * <ul>
 *   <li>{@code trellis_gateway_requests_total{service, service_id, target_group, status_class}}: requests by the
 *       class of the status sent ({@code 2xx}…, {@code none} when the client got no status);</li>
 *   <li>{@code trellis_gateway_request_duration_seconds{service, service_id, target_group}}: a percentile
 *       histogram of request head to end of response;</li>
 *   <li>{@code trellis_gateway_auth_denials_total{service, service_id, kind, reason}}: 403s, {@code kind}
 *       {@code authentication} (reason: the SigV4 error code) or {@code authorization} (reason: the policy level
 *       that refused, as the access log's {@code authDeniedReason});</li>
 *   <li>{@code trellis_gateway_active_connections}, {@code trellis_gateway_connections_rejected_total} (the cap);</li>
 *   <li>{@code trellis_gateway_targets{target_group, state}}: targets of each group in each health state, read from
 *       the pools when scraped;</li>
 *   <li>{@code trellis_gateway_snapshot_revision}, {@code trellis_gateway_snapshot_age_seconds} (since the
 *       control plane compiled it).</li>
 * </ul>
 *
 * <p><b>Cost on the hot path.</b> The meters of every (service, target group) pair a snapshot can route to are
 * built when the snapshot is swapped in ({@link #bind}), on the swapping thread; a request then costs two hash
 * look-ups, one counter increment and one timer record, with no string building. Requests that found no service are
 * counted under {@code service="-"}; so are requests of a service a newer snapshot removed while they were in
 * flight (their meters are gone).
 *
 * <p>{@link #disabled()} records nothing and has no registry: the default of {@code GatewayConfig}.
 */
public final class GatewayMetrics {

    /** Tag value for "no such thing": no service found, no target group chosen. */
    public static final String NONE = "-";

    private static final String[] STATUS_CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    /** Latency histogram range: 1 ms to 2 minutes bounds the buckets Micrometer publishes. */
    private static final Duration MIN_EXPECTED = Duration.ofMillis(1);
    private static final Duration MAX_EXPECTED = Duration.ofMinutes(2);

    private final PrometheusMeterRegistry registry;
    private final Object bindLock = new Object();
    private volatile Map<String, ServiceMeters> services = Map.of();
    private final ServiceMeters unknownService;
    private final Counter connectionsRejected;
    private final Map<String, Meter> healthGauges = new HashMap<>();
    private volatile GatewaySnapshots snapshots;
    private final AtomicLong swaps = new AtomicLong();
    /** The snapshot the meters were last built for (under {@code bindLock}). */
    private GatewaySnapshot metered;

    private GatewayMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        if (registry == null) {
            unknownService = null;
            connectionsRejected = null;
            return;
        }
        unknownService = new ServiceMeters(registry, NONE, NONE, Set.of());
        connectionsRejected = Counter.builder("trellis.gateway.connections.rejected")
                .description("Client connections closed on accept because maxConnections were open")
                .register(registry);
    }

    /** Metrics in a new Prometheus registry of their own. */
    public static GatewayMetrics prometheus() {
        return new GatewayMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** Metrics in {@code registry} (for a process that exposes more than the gateway's). */
    public static GatewayMetrics prometheus(PrometheusMeterRegistry registry) {
        return new GatewayMetrics(Objects.requireNonNull(registry, "registry"));
    }

    /** Records nothing. */
    public static GatewayMetrics disabled() {
        return new GatewayMetrics(null);
    }

    public boolean enabled() {
        return registry != null;
    }

    /** The registry, or null when disabled. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter (what {@code GET /metrics} returns). */
    public String scrape() {
        return registry == null ? "" : registry.scrape();
    }

    /**
     * Follows {@code snapshots}: builds the meters of the current snapshot now and of every later one when it is
     * swapped in, and registers the gauges that read the snapshot and the connection count. Called once, by the
     * server, before it serves.
     */
    public void bind(GatewaySnapshots snapshots, IntSupplier openConnections) {
        if (registry == null) {
            return;
        }
        synchronized (bindLock) {
            if (this.snapshots != null) {
                throw new IllegalStateException("these metrics already follow a gateway's snapshots");
            }
            this.snapshots = snapshots;
        }
        Gauge.builder("trellis.gateway.active.connections", openConnections, s -> s.getAsInt())
                .description("Client connections open now, all listener ports together")
                .strongReference(true) // Micrometer holds gauge objects weakly: the supplier is a method reference
                .register(registry);
        Gauge.builder("trellis.gateway.snapshot.revision", snapshots, s -> s.current().revision())
                .description("Store revision of the snapshot being served (0: none received yet)")
                .register(registry);
        Gauge.builder("trellis.gateway.snapshot.age", snapshots, GatewayMetrics::ageSeconds)
                .description("Seconds since the control plane compiled the snapshot being served")
                .baseUnit("seconds")
                .register(registry);
        snapshots.onSwap((previous, current) -> snapshotSwapped(current));
        snapshotSwapped(snapshots.current());
    }

    // --- the hot path ------------------------------------------------------------------------------------------

    /**
     * One request ended. {@code serviceId} and {@code targetGroupId} may be null (no service found, no group
     * chosen); {@code status} 0 when the client got no response.
     */
    public void requestFinished(String serviceId, String targetGroupId, int status, long durationNanos) {
        if (registry == null) {
            return;
        }
        GroupMeters group = serviceMeters(serviceId).group(targetGroupId);
        int statusClass = status >= 100 && status < 600 ? status / 100 : 0;
        group.statusClasses[statusClass].increment();
        group.latency.record(durationNanos, TimeUnit.NANOSECONDS);
    }

    /** A signed request whose signature did not verify; {@code errorCode} is the SigV4 error code. */
    public void authenticationFailed(String serviceId, String errorCode) {
        if (registry != null) {
            serviceMeters(serviceId).denial("authentication", errorCode).increment();
        }
    }

    /** A policy refused; {@code level} is {@code Network}, {@code Service} or {@code Identity} (null: unknown). */
    public void authorizationDenied(String serviceId, String level) {
        if (registry != null) {
            serviceMeters(serviceId).denial("authorization", level == null ? "Unknown" : level).increment();
        }
    }

    /** A connection was closed on accept because of the connection cap. */
    public void connectionRejected() {
        if (registry != null) {
            connectionsRejected.increment();
        }
    }

    private ServiceMeters serviceMeters(String serviceId) {
        if (serviceId == null) {
            return unknownService;
        }
        ServiceMeters meters = services.get(serviceId);
        return meters == null ? unknownService : meters;
    }

    // --- snapshot swaps ----------------------------------------------------------------------------------------

    /**
     * Builds the meters {@code snapshot} needs, keeping those of pairs still routed to (their counts go on), and
     * removes the rest from the registry. Runs on the swapping thread, under the snapshot swap lock.
     */
    private void snapshotSwapped(GatewaySnapshot snapshot) {
        synchronized (bindLock) {
            GatewaySnapshot before = metered;
            metered = snapshot;
            swaps.incrementAndGet();
            if (before != null && before.routing() == snapshot.routing()
                    && before.targetPools() == snapshot.targetPools()) {
                // A revision that changed nothing here kept its compiled parts (GatewaySnapshot.compile), and so
                // the services and groups the meters are for: nothing to build, remove or allocate.
                return;
            }
            Map<String, ServiceMeters> previous = services;
            Map<String, ServiceMeters> next = new HashMap<>();
            for (ServiceEntry service : snapshot.snapshot().services()) {
                Set<String> groups = forwardedGroups(service);
                ServiceMeters old = previous.get(service.id());
                String name = service.name() == null ? service.id() : service.name();
                ServiceMeters meters = old != null && old.name.equals(name) && old.groups.keySet().equals(groups)
                        ? old : new ServiceMeters(registry, name, service.id(), groups, old);
                next.put(service.id(), meters);
            }
            services = Map.copyOf(next);
            for (Map.Entry<String, ServiceMeters> old : previous.entrySet()) {
                ServiceMeters replacement = next.get(old.getKey());
                if (replacement != old.getValue()) {
                    old.getValue().removeUnused(registry, replacement);
                }
            }
            updateHealthGauges(snapshot);
        }
    }

    private static Set<String> forwardedGroups(ServiceEntry service) {
        Set<String> groups = new LinkedHashSet<>();
        for (ServiceListener listener : service.listeners()) {
            for (ListenerRule rule : listener.rules()) {
                RuleAction action = rule.action();
                if (action.forward() != null) {
                    for (RuleAction.WeightedTargetGroup group : action.forward()) {
                        groups.add(group.targetGroupId());
                    }
                }
            }
        }
        return groups;
    }

    /** One gauge per (local target group, state), reading the group's pool in the snapshot served when scraped. */
    private void updateHealthGauges(GatewaySnapshot snapshot) {
        Set<String> wanted = new HashSet<>();
        for (String groupId : snapshot.targetPools().keySet()) {
            for (TargetStatus state : TargetStatus.values()) {
                String key = groupId + "|" + state;
                wanted.add(key);
                healthGauges.computeIfAbsent(key, k -> Gauge.builder("trellis.gateway.targets", this,
                                m -> m.countTargets(groupId, state))
                        .description("Targets of a target group in this VPC, by health state")
                        .tags("target_group", groupId, "state", state.name())
                        .register(registry));
            }
        }
        for (var it = healthGauges.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Meter> gauge = it.next();
            if (!wanted.contains(gauge.getKey())) {
                registry.remove(gauge.getValue());
                it.remove();
            }
        }
    }

    private double countTargets(String groupId, TargetStatus state) {
        GatewaySnapshots current = snapshots;
        TargetPool pool = current == null ? null : current.current().targetPool(groupId);
        if (pool == null) {
            return Double.NaN;
        }
        int count = 0;
        for (PoolTarget target : pool.allTargets()) {
            if (target.status() == state) {
                count++;
            }
        }
        return count;
    }

    private static double ageSeconds(GatewaySnapshots snapshots) {
        GatewaySnapshot current = snapshots.current();
        if (current.revision() == 0) {
            return Double.NaN;
        }
        long compiledAt = current.snapshot().compiledAt().toEpochMilli();
        return Math.max(0, System.currentTimeMillis() - compiledAt) / 1000.0;
    }

    /** Snapshot swaps seen (for tests and diagnostics). */
    long swapsSeen() {
        return swaps.get();
    }

    /** The meters of one service: per target group, plus denials by reason (created on first use). */
    private static final class ServiceMeters {
        final String name;
        final String id;
        final Map<String, GroupMeters> groups;
        final GroupMeters noGroup;
        final Map<String, Counter> denials;
        private final MeterRegistry registry;

        ServiceMeters(MeterRegistry registry, String name, String id, Set<String> groupIds) {
            this(registry, name, id, groupIds, null);
        }

        /** Reuses {@code old}'s meters where they are the same (same tags: Micrometer returns the same meter). */
        ServiceMeters(MeterRegistry registry, String name, String id, Set<String> groupIds, ServiceMeters old) {
            this.registry = registry;
            this.name = name;
            this.id = id;
            Map<String, GroupMeters> byGroup = new HashMap<>();
            for (String groupId : groupIds) {
                byGroup.put(groupId, new GroupMeters(registry, name, id, groupId));
            }
            this.groups = Map.copyOf(byGroup);
            this.noGroup = new GroupMeters(registry, name, id, NONE);
            this.denials = old != null && old.name.equals(name) ? old.denials : new ConcurrentHashMap<>();
        }

        GroupMeters group(String groupId) {
            if (groupId == null) {
                return noGroup;
            }
            GroupMeters meters = groups.get(groupId);
            return meters == null ? noGroup : meters;
        }

        /** Denial reasons are a short closed list (SigV4 error codes, three policy levels): a map per service. */
        Counter denial(String kind, String reason) {
            return denials.computeIfAbsent(kind + ' ' + reason, k -> Counter.builder("trellis.gateway.auth.denials")
                    .description("Requests refused with 403, by kind (authentication, authorization) and reason")
                    .tags("service", name, "service_id", id, "kind", kind, "reason", reason)
                    .register(registry));
        }

        /** Removes from the registry the meters of this service that {@code replacement} does not use. */
        void removeUnused(MeterRegistry registry, ServiceMeters replacement) {
            Set<Meter.Id> kept = new HashSet<>();
            if (replacement != null) {
                for (GroupMeters group : replacement.groups.values()) {
                    group.collectIds(kept);
                }
                replacement.noGroup.collectIds(kept);
                if (replacement.denials == denials) {
                    denials.values().forEach(c -> kept.add(c.getId()));
                }
            }
            List<Meter> mine = new ArrayList<>();
            for (GroupMeters group : groups.values()) {
                group.collect(mine);
            }
            noGroup.collect(mine);
            if (replacement == null || replacement.denials != denials) {
                mine.addAll(denials.values());
            }
            for (Meter meter : mine) {
                if (!kept.contains(meter.getId())) {
                    registry.remove(meter);
                }
            }
        }
    }

    /** The meters of one (service, target group) pair. */
    private static final class GroupMeters {
        final Counter[] statusClasses = new Counter[STATUS_CLASSES.length];
        final Timer latency;

        GroupMeters(MeterRegistry registry, String service, String serviceId, String groupId) {
            Tags tags = Tags.of("service", service, "service_id", serviceId, "target_group", groupId);
            for (int i = 0; i < STATUS_CLASSES.length; i++) {
                statusClasses[i] = Counter.builder("trellis.gateway.requests")
                        .description("Requests answered, by service, target group and status class")
                        .tags(tags).tag("status_class", STATUS_CLASSES[i])
                        .register(registry);
            }
            latency = Timer.builder("trellis.gateway.request.duration")
                    .description("Request head to end of response, by service and target group")
                    .tags(tags)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(MIN_EXPECTED)
                    .maximumExpectedValue(MAX_EXPECTED)
                    .register(registry);
        }

        void collect(List<Meter> out) {
            out.addAll(List.of(statusClasses));
            out.add(latency);
        }

        void collectIds(Set<Meter.Id> out) {
            for (Counter counter : statusClasses) {
                out.add(counter.getId());
            }
            out.add(latency.getId());
        }
    }
}
