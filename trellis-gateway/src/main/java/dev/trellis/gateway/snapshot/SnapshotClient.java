package dev.trellis.gateway.snapshot;

import dev.trellis.model.snapshot.SnapshotDecoder;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a gateway's snapshot current: long-polls the control plane for a newer snapshot of its VPC, hands each one
 * (decoded and checked by a {@link SnapshotDecoder}, which decodes only the entries that changed since the snapshot
 * before, and hands the unchanged ones over as the very same objects) to the gateway, and persists it — the bytes as
 * received — as the last good snapshot. On
 * start it first hands over the persisted snapshot, so a gateway serves even while the control plane is down
 * (static stability). Runs on its own thread; never on an event loop.
 *
 * <p>A snapshot carries signing keys for the days around its compile time. When the snapshot served was compiled
 * more than {@link #REFRESH_AFTER} ago, the client asks for the current snapshot unconditionally (no {@code after}),
 * which the control plane compiles afresh — the long-poll alone would not bring new keys when nothing else changed.
 * The persisted file holds derived keys, so only its owner may read it.
 */
public final class SnapshotClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SnapshotClient.class);
    private static final int WAIT_SECONDS = 30;
    /** How old a snapshot may get before the client fetches a freshly compiled one. */
    public static final Duration REFRESH_AFTER = Duration.ofHours(6);

    /** Where and as whom to watch. */
    public record Settings(URI controlPlane, String vpcId, String region, String accessKeyId, String secretAccessKey,
                           Path dataDir) {
        public Settings {
            Objects.requireNonNull(controlPlane, "controlPlane");
            Objects.requireNonNull(vpcId, "vpcId");
            Objects.requireNonNull(region, "region");
            Objects.requireNonNull(dataDir, "dataDir");
        }

        @Override
        public String toString() {
            return "Settings[" + controlPlane + ", " + vpcId + ", " + region + ", " + accessKeyId + ", " + dataDir
                    + "]";
        }
    }

    private final Settings settings;
    private final Consumer<VpcSnapshot> gateway;
    private final ControlPlaneClient controlPlane;
    private final boolean ownsClient;
    private final Clock clock;
    private final Thread thread;
    /** One decoder for the whole stream of snapshots, so each revision reuses the entries of the one before. */
    private final SnapshotDecoder decoder = new SnapshotDecoder();
    private volatile boolean running = true;
    private volatile long revision = -1;
    private volatile VpcSnapshot served;
    /** This process's id in its polls: the control plane learns from them which revision this gateway serves. */
    private final String watcher = UUID.randomUUID().toString();

    public SnapshotClient(Settings settings, Consumer<VpcSnapshot> gateway) {
        this(settings, new ControlPlaneClient(settings.controlPlane(), settings.region(), settings.accessKeyId(),
                settings.secretAccessKey()), true, Clock.systemUTC(), gateway);
    }

    /** A snapshot client that makes its calls through {@code controlPlane} (shared with registration and reports). */
    public SnapshotClient(Settings settings, ControlPlaneClient controlPlane, Clock clock,
                          Consumer<VpcSnapshot> gateway) {
        this(settings, controlPlane, false, clock, gateway);
    }

    private SnapshotClient(Settings settings, ControlPlaneClient controlPlane, boolean ownsClient, Clock clock,
                           Consumer<VpcSnapshot> gateway) {
        this.settings = settings;
        this.gateway = gateway;
        this.controlPlane = controlPlane;
        this.ownsClient = ownsClient;
        this.clock = clock;
        this.thread = new Thread(this::watch, "snapshot-client-" + settings.vpcId());
        this.thread.setDaemon(true);
    }

    /** The file holding the last good snapshot. */
    public Path persistedSnapshot() {
        return settings.dataDir().resolve("snapshot-" + settings.vpcId() + ".json");
    }

    /** Hands over the persisted snapshot, if any, then starts watching. */
    public void start() {
        loadPersisted().ifPresent(snapshot -> {
            log.info("serving the persisted snapshot {} until the control plane answers", snapshot);
            accept(snapshot, null);
        });
        thread.start();
    }

    /** The revision of the snapshot handed over last, or -1. */
    public long revision() {
        return revision;
    }

    private Optional<VpcSnapshot> loadPersisted() {
        Path file = persistedSnapshot();
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(decoder.decode(Files.readAllBytes(file)));
        } catch (IOException | RuntimeException e) {
            log.warn("ignoring the persisted snapshot {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    private void watch() {
        // decoding and compiling a revision is bulk work: it must not take a time slice from an event loop
        BackgroundPriority.lowerCurrentThread();
        Duration backoff = Duration.ofMillis(500);
        while (running) {
            try {
                poll();
                backoff = Duration.ofMillis(500);
            } catch (IOException | RuntimeException e) {
                if (!running) {
                    return;
                }
                log.warn("no snapshot from the control plane at {} ({}); serving revision {}, retrying in {} ms",
                        settings.controlPlane(), e.getMessage(), revision, backoff.toMillis());
                if (!sleep(backoff)) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0
                        ? Duration.ofSeconds(10) : backoff.multipliedBy(2);
            }
        }
    }

    private void poll() throws IOException {
        VpcSnapshot current = served;
        // Without a snapshot, or with one whose keys are getting old, ask for the current one (no 'after').
        boolean unconditional = current == null || revision < 0
                || Duration.between(current.compiledAt(), clock.instant()).compareTo(REFRESH_AFTER) > 0;
        // 'revision' is swapped in before this poll: the control plane may take the poll as "serves revision"
        byte[] body = controlPlane.snapshot(settings.vpcId(), unconditional ? -1 : revision, WAIT_SECONDS, watcher);
        if (body != null) {
            accept(decoder.decode(body), body);
        }
    }

    /** @param json the snapshot as received, to persist; null when it came from the persisted file */
    private void accept(VpcSnapshot snapshot, byte[] json) {
        if (!snapshot.vpcId().equals(settings.vpcId())) {
            throw new IllegalStateException("got a snapshot of " + snapshot.vpcId() + " for " + settings.vpcId());
        }
        if (json != null) {
            persist(snapshot, json);
        }
        gateway.accept(snapshot);
        served = snapshot;
        revision = snapshot.revision();
        log.info("serving snapshot {}", snapshot);
    }

    /**
     * Writes the snapshot to a temporary file readable by the owner only (it holds derived signing keys) and renames
     * it over the last one, so a crash leaves a whole file. The bytes are those received (and decoded): encoding the
     * snapshot again would cost as much CPU as decoding it.
     */
    private void persist(VpcSnapshot snapshot, byte[] json) {
        Path file = persistedSnapshot();
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(settings.dataDir());
            Files.deleteIfExists(temporary);
            try {
                Files.createFile(temporary, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(temporary); // not a POSIX file system: its default permissions stand
            }
            Files.write(temporary, json);
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.warn("cannot persist snapshot {} to {}: {}", snapshot, file, e.getMessage());
        }
    }

    /** Sleeps; false when interrupted (the client is closing). */
    private static boolean sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops watching at once: a long-poll in progress is aborted, not waited out. */
    @Override
    public void close() {
        running = false;
        if (ownsClient) {
            controlPlane.close();
        }
        thread.interrupt();
    }
}
