package dev.trellis.gateway.snapshot;

import dev.trellis.gateway.ThreadPriorities;
import dev.trellis.model.snapshot.SnapshotDecoder;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * received, written as they arrive — as the last good snapshot. A snapshot is decoded from the response as it
 * streams in, never held whole. On start it first hands over the persisted snapshot, so a gateway serves even while
 * the control plane is down (static stability). Runs on its own thread; never on an event loop.
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
            accept(snapshot);
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
        try (InputStream in = Files.newInputStream(file)) {
            return Optional.of(decoder.decode(in));
        } catch (IOException | RuntimeException e) {
            log.warn("ignoring the persisted snapshot {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    private void watch() {
        // decoding and compiling a revision is bulk work: it must not take a time slice from an event loop
        ThreadPriorities.lowerCurrentThread();
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
        VpcSnapshot snapshot = controlPlane.snapshot(settings.vpcId(), unconditional ? -1 : revision, WAIT_SECONDS,
                watcher, this::receive);
        if (snapshot != null) {
            accept(snapshot);
        }
    }

    /**
     * Decodes a snapshot as it arrives and writes the bytes received, as they pass, to a temporary file readable by
     * the owner only (it holds derived signing keys). Only a snapshot that decoded and is this VPC's replaces the last
     * good one, by a rename, so a crash leaves a whole file; a refused one leaves no file behind. The bytes are those
     * received: encoding the snapshot again would cost as much CPU as decoding it, and holding them all at once would
     * cost the heap an 8 MB array per revision. A file that cannot be written costs the persisted copy, not the
     * snapshot: the gateway serves it all the same.
     */
    private VpcSnapshot receive(InputStream body) throws IOException {
        Path file = persistedSnapshot();
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        CopyingInputStream copying = new CopyingInputStream(body, temporary);
        VpcSnapshot snapshot;
        try {
            snapshot = decoder.decode(copying);
            checkVpc(snapshot);
        } catch (IOException | RuntimeException e) {
            copying.discard();
            throw e;
        }
        try {
            copying.finish();
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.warn("cannot persist snapshot {} to {}: {}", snapshot, file, e.getMessage());
            copying.discard();
        }
        return snapshot;
    }

    private void checkVpc(VpcSnapshot snapshot) {
        if (!snapshot.vpcId().equals(settings.vpcId())) {
            throw new IllegalStateException("got a snapshot of " + snapshot.vpcId() + " for " + settings.vpcId());
        }
    }

    private void accept(VpcSnapshot snapshot) {
        checkVpc(snapshot);
        gateway.accept(snapshot);
        served = snapshot;
        revision = snapshot.revision();
        log.info("serving snapshot {}", snapshot);
    }

    /**
     * Copies the bytes it reads to a new file, created readable by its owner only. A failure to write stops the copy,
     * not the reading: {@link #finish} reports it.
     */
    private static final class CopyingInputStream extends FilterInputStream {
        private final Path file;
        private OutputStream copy;
        private IOException failure;

        CopyingInputStream(InputStream in, Path file) {
            super(in);
            this.file = file;
            try {
                Files.createDirectories(file.getParent());
                Files.deleteIfExists(file);
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
                } catch (UnsupportedOperationException e) {
                    Files.createFile(file); // not a POSIX file system: its default permissions stand
                }
                copy = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
            } catch (IOException e) {
                failure = e;
            }
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                copy(new byte[] {(byte) b}, 0, 1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                copy(b, off, n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            throw new IOException("a copied stream is read, not skipped");
        }

        private void copy(byte[] b, int off, int len) {
            if (failure == null) {
                try {
                    copy.write(b, off, len);
                } catch (IOException e) {
                    failure = e;
                }
            }
        }

        /** Closes the file; throws the first failure to write it. */
        void finish() throws IOException {
            if (copy != null) {
                OutputStream out = copy;
                copy = null;
                try {
                    out.close();
                } catch (IOException e) {
                    failure = failure == null ? e : failure;
                }
            }
            if (failure != null) {
                throw failure;
            }
        }

        /** Closes and removes the file. */
        void discard() {
            try {
                finish();
            } catch (IOException e) {
                // the copy is being thrown away: how it failed does not matter
            }
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.warn("cannot remove {}: {}", file, e.getMessage());
            }
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
