package dev.trellis.controlplane.snapshot;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.gateways.GatewayRegistry;
import dev.trellis.controlplane.lattice.LatticeSnapshotCompiler;
import dev.trellis.controlplane.lattice.Targets;
import dev.trellis.controlplane.store.Store;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Compiles and serves one {@link VpcSnapshot} per VPC. A snapshot is compiled from one read of the store, checked
 * with {@link VpcSnapshot#ensureConsistent()}, and labelled with a revision:
 * <ul>
 *   <li>when its content differs from the last compile of that VPC, with the store revision read before the compile
 *       (so its content is at least that new);</li>
 *   <li>when its content is the same, with the last compile's label — so a write that does not change what this
 *       VPC's gateways see (a health report, another VPC's change) does not make them download anything: the
 *       long-poll keeps waiting.</li>
 * </ul>
 * A compile is reused until the store's revision or the UTC day changes (derived signing keys are per day) or a
 * draining target's time is up. An unconditional fetch (no {@code after}) always compiles, so a gateway that asks
 * for fresh keys gets a fresh {@code compiledAt}.
 */
public final class SnapshotService implements AutoCloseable, GatewayPropagation {

    /**
     * A watcher whose last long-poll began longer ago than this is not waited for by {@link #awaitServed}: a long-poll
     * lasts at most 60 s, so a live gateway has polled again within it (plus time to decode and swap).
     */
    public static final Duration WATCHER_LIFETIME = Duration.ofSeconds(90);

    private final Store store;
    private final ControlPlaneConfig config;
    private final Clock clock;
    private final CredentialSource credentials;
    private final CertificateSource certificates;
    private final Map<String, Compiled> cache = new ConcurrentHashMap<>();
    /** The threads waiting in a long-poll: {@link #close} interrupts them so the server can stop at once. */
    private final Set<Thread> waiting = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** Each gateway's last long-poll per VPC: the revision it serves, and when it asked (see {@link #awaitServed}). */
    private final Map<String, Watcher> watchers = new ConcurrentHashMap<>();
    /** Notified whenever a watcher polls again. */
    private final Object watcherPolled = new Object();

    /** A gateway's last long-poll: it serves {@code revision} of {@code vpcId} (a gateway swaps before it polls). */
    private record Watcher(String vpcId, long revision, Instant polledAt) {
    }

    /**
     * One compile of a VPC.
     *
     * @param storeRevision the store revision read before the compile (the label may be older: see above)
     * @param nextChangeAt when the content changes without a write (a drain ends), or null
     */
    private record Compiled(VpcSnapshot snapshot, long storeRevision, LocalDate day, Instant nextChangeAt) {
    }

    public SnapshotService(Store store, ControlPlaneConfig config, Clock clock, CredentialSource credentials) {
        this(store, config, clock, credentials, CertificateSource.NONE);
    }

    /** With the TLS certificates of HTTPS listeners from {@code certificates}. */
    public SnapshotService(Store store, ControlPlaneConfig config, Clock clock, CredentialSource credentials,
                           CertificateSource certificates) {
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.credentials = credentials;
        this.certificates = certificates;
    }

    /** The snapshot of {@code vpcId} at the store's current revision. */
    public VpcSnapshot current(String vpcId) {
        return compiled(vpcId, false).snapshot();
    }

    /** The snapshot of {@code vpcId} compiled now, whatever is cached: what an unconditional fetch gets. */
    public VpcSnapshot fresh(String vpcId) {
        return compiled(vpcId, true).snapshot();
    }

    private Compiled compiled(String vpcId, boolean fresh) {
        Instant now = clock.instant();
        Compiled cached = cache.get(vpcId);
        if (cached != null && cached.nextChangeAt() != null && !now.isBefore(cached.nextChangeAt())) {
            // A drain ended: remove the drained targets from the store, so the change gets a revision of its own
            // and reaches every watcher of this VPC (a compile alone would change content under the same label).
            removeDrainedTargets(cached.snapshot(), now);
        }
        // Before the revision is read: a rotation is a write, and the compile below must be labelled after it.
        certificates.refresh();
        long revision = store.revision();
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        if (!fresh && cached != null && cached.storeRevision() == revision && cached.day().equals(today)
                && (cached.nextChangeAt() == null || now.isBefore(cached.nextChangeAt()))) {
            return cached;
        }
        Compiled compiled = store.read(tx -> {
            LatticeSnapshotCompiler.Reachable reachable = LatticeSnapshotCompiler.compile(tx, vpcId, now);
            Set<String> remoteVpcs = reachable.targetGroups().stream().map(TargetGroupEntry::vpcId)
                    .filter(vpc -> !vpc.equals(vpcId)).collect(Collectors.toCollection(TreeSet::new));
            VpcSnapshot snapshot = new VpcSnapshot(revision, vpcId, config.accountId(), config.region(), now,
                    reachable.services(), reachable.targetGroups(), GatewayRegistry.peers(tx, remoteVpcs),
                    credentials.credentials(tx, config.region(), now),
                    certificates.certificates(tx, reachable.services()),
                    SnapshotDnsZones.forVpc(tx, vpcId)).ensureConsistent();
            return new Compiled(snapshot, revision, today, reachable.nextChangeAt());
        });
        return cache.merge(vpcId, compiled, SnapshotService::later);
    }

    /** Which of two compiles of a VPC to keep, and under which label (see the class comment). */
    private static Compiled later(Compiled old, Compiled fresh) {
        if (fresh.storeRevision() < old.storeRevision()) {
            return old; // a slower compile of older data lost the race
        }
        if (sameContent(old.snapshot(), fresh.snapshot())) {
            VpcSnapshot s = fresh.snapshot();
            VpcSnapshot relabelled = new VpcSnapshot(old.snapshot().revision(), s.vpcId(), s.accountId(), s.region(),
                    s.compiledAt(), s.services(), s.targetGroups(), s.peers(), s.credentials(), s.certificates(),
                    s.dnsZones());
            return new Compiled(relabelled, fresh.storeRevision(), fresh.day(), fresh.nextChangeAt());
        }
        return fresh;
    }

    /** Whether two snapshots of a VPC tell a gateway the same thing (revision and compile time aside). */
    static boolean sameContent(VpcSnapshot a, VpcSnapshot b) {
        return a.vpcId().equals(b.vpcId()) && a.accountId().equals(b.accountId()) && a.region().equals(b.region())
                && a.services().equals(b.services()) && a.targetGroups().equals(b.targetGroups())
                && a.peers().equals(b.peers()) && a.credentials().equals(b.credentials())
                && a.certificates().equals(b.certificates()) && a.dnsZones().equals(b.dnsZones());
    }

    /**
     * A snapshot labelled newer than {@code after}, waiting up to {@code timeout} for its content to change; empty
     * when nothing changed in that time. Writes that leave this VPC's snapshot as it was do not end the wait. When a
     * draining target's time is up during the wait, the drained targets are removed from the store (a write, by
     * whichever call compiles first after that time), which labels the new content with a new revision for every
     * watcher.
     */
    public Optional<VpcSnapshot> newerThan(String vpcId, long after, Duration timeout) throws InterruptedException {
        Thread thread = Thread.currentThread();
        waiting.add(thread);
        try {
            if (closed) {
                throw new InterruptedException("the snapshot service is closed");
            }
            return waitForNewer(vpcId, after, timeout);
        } finally {
            waiting.remove(thread);
        }
    }

    /**
     * Notes that the gateway {@code watcher} (an id stable across its polls) asks for {@code vpcId}'s snapshot and serves
     * its revision {@code serving} (-1: none yet), for {@link #awaitServed}.
     */
    public void polled(String vpcId, long serving, String watcher) {
        watchers.put(vpcId + " " + watcher, new Watcher(vpcId, serving, clock.instant()));
        synchronized (watcherPolled) {
            watcherPolled.notifyAll();
        }
    }

    /**
     * Waits until every gateway that has polled within {@link #WATCHER_LIFETIME} serves its VPC's snapshot as of the
     * store's revision now, or {@code timeout} — so a write a caller acts on at once (new session credentials) is in
     * the gateways when the call answers. Gateways of this control plane process only (another replica's watchers are
     * not known here); a gateway that stops polling is not waited for after its lifetime.
     *
     * @return whether every such gateway had it in time
     */
    @Override
    public boolean awaitServed(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Long> wanted = new java.util.HashMap<>();
        while (true) {
            Instant lifetimeStart = clock.instant().minus(WATCHER_LIFETIME);
            // a gateway that stopped polling (stopped, restarted under a new id) is forgotten
            watchers.values().removeIf(watcher -> watcher.polledAt().isBefore(lifetimeStart));
            boolean served = true;
            for (Watcher watcher : watchers.values()) {
                // the label of the VPC's content as of now (a compile at the current revision, shared with the polls)
                long label = wanted.computeIfAbsent(watcher.vpcId(), vpc -> compiled(vpc, false).snapshot().revision());
                if (watcher.revision() < label) {
                    served = false;
                    break;
                }
            }
            if (served) {
                return true;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return false;
            }
            synchronized (watcherPolled) {
                // a poll between the check above and here is caught by the bounded wait
                watcherPolled.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(remaining), 50)));
            }
        }
    }

    /** Ends every long-poll in progress (they answer "stopping"), so that the server stops without waiting them out. */
    @Override
    public void close() {
        closed = true;
        waiting.forEach(Thread::interrupt);
    }

    private Optional<VpcSnapshot> waitForNewer(String vpcId, long after, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Compiled compiled = compiled(vpcId, false);
            if (compiled.snapshot().revision() > after) {
                return Optional.of(compiled.snapshot());
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return Optional.empty();
            }
            Duration wait = Duration.ofNanos(remaining);
            Instant drainEnd = compiled.nextChangeAt();
            if (drainEnd != null) {
                // Wake when the drain ends: the next compiled() removes the drained targets (a write).
                Duration untilDrainEnd = Duration.between(clock.instant(), drainEnd).plusMillis(1);
                wait = untilDrainEnd.compareTo(wait) < 0 ? untilDrainEnd : wait;
                if (wait.isNegative() || wait.isZero()) {
                    continue;
                }
            }
            store.awaitRevisionAfter(compiled.storeRevision(), wait);
        }
    }

    private void removeDrainedTargets(VpcSnapshot snapshot, Instant now) {
        List<String> draining = snapshot.targetGroups().stream()
                .filter(g -> g.targets().stream().anyMatch(TargetGroupEntry.Target::draining))
                .map(TargetGroupEntry::id).toList();
        store.write(tx -> Targets.removeDrainedTargets(tx, draining, now));
    }
}
