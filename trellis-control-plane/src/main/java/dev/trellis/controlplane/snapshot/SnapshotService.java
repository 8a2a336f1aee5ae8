package dev.trellis.controlplane.snapshot;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.lattice.LatticeSnapshotCompiler;
import dev.trellis.controlplane.store.Store;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles and serves one {@link VpcSnapshot} per VPC. A snapshot is compiled from one read of the store, labelled
 * with the revision read before it (so its content is at least that new), checked with
 * {@link VpcSnapshot#ensureConsistent()}, and cached until the store's revision or the UTC day changes (derived
 * signing keys are per day).
 */
public final class SnapshotService {

    private final Store store;
    private final ControlPlaneConfig config;
    private final Clock clock;
    private final CredentialSource credentials;
    private final Map<String, Compiled> cache = new ConcurrentHashMap<>();

    private record Compiled(VpcSnapshot snapshot, LocalDate day) {
    }

    public SnapshotService(Store store, ControlPlaneConfig config, Clock clock, CredentialSource credentials) {
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.credentials = credentials;
    }

    /** The snapshot of {@code vpcId} at the store's current revision. */
    public VpcSnapshot current(String vpcId) {
        long revision = store.revision();
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        Compiled cached = cache.get(vpcId);
        if (cached != null && cached.snapshot().revision() == revision && cached.day().equals(today)) {
            return cached.snapshot();
        }
        VpcSnapshot snapshot = store.read(tx -> {
            LatticeSnapshotCompiler.Reachable reachable = LatticeSnapshotCompiler.compile(tx, vpcId);
            return new VpcSnapshot(revision, vpcId, config.accountId(), config.region(), clock.instant(),
                    reachable.services(), reachable.targetGroups(), List.of(),
                    credentials.credentials(tx, config.region(), clock.instant()));
        }).ensureConsistent();
        cache.put(vpcId, new Compiled(snapshot, today));
        return snapshot;
    }

    /**
     * A snapshot newer than {@code after}, waiting up to {@code timeout} for the store to change; empty when nothing
     * changed in that time.
     */
    public Optional<VpcSnapshot> newerThan(String vpcId, long after, Duration timeout) throws InterruptedException {
        VpcSnapshot snapshot = current(vpcId);
        if (snapshot.revision() > after) {
            return Optional.of(snapshot);
        }
        store.awaitRevisionAfter(after, timeout);
        snapshot = current(vpcId);
        return snapshot.revision() > after ? Optional.of(snapshot) : Optional.empty();
    }
}
