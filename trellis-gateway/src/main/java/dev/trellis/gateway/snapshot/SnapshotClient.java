package dev.trellis.gateway.snapshot;

import dev.trellis.model.snapshot.SnapshotCodec;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

/**
 * Keeps a gateway's snapshot current: long-polls the control plane for a newer snapshot of its VPC, hands each one
 * (already checked by {@link SnapshotCodec#decode}) to the gateway, and persists it as the last good snapshot. On
 * start it first hands over the persisted snapshot, so a gateway serves even while the control plane is down
 * (static stability). Runs on its own thread; never on an event loop.
 */
public final class SnapshotClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SnapshotClient.class);
    private static final int WAIT_SECONDS = 30;

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
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long revision = -1;

    public SnapshotClient(Settings settings, Consumer<VpcSnapshot> gateway) {
        this.settings = settings;
        this.gateway = gateway;
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
            accept(snapshot, false);
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
            return Optional.of(SnapshotCodec.decode(Files.readAllBytes(file)));
        } catch (IOException | RuntimeException e) {
            log.warn("ignoring the persisted snapshot {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    private void watch() {
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
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0
                        ? Duration.ofSeconds(10) : backoff.multipliedBy(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void poll() throws IOException, InterruptedException {
        // Without a snapshot yet, ask for the current one (no 'after').
        URI uri = settings.controlPlane().resolve("/trellis/v1/snapshots/" + settings.vpcId() + "?wait=" + WAIT_SECONDS
                + (revision < 0 ? "" : "&after=" + revision));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().timeout(Duration.ofSeconds(WAIT_SECONDS + 15));
        sign(uri).forEach((name, values) -> {
            if (!name.equalsIgnoreCase("host")) {
                values.forEach(v -> request.header(name, v));
            }
        });
        HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        switch (response.statusCode()) {
            case 200 -> accept(SnapshotCodec.decode(response.body()), true);
            case 304 -> {
                // nothing changed
            }
            default -> throw new IOException("HTTP " + response.statusCode() + ": "
                    + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private java.util.Map<String, java.util.List<String>> sign(URI uri) {
        SdkHttpFullRequest unsigned = SdkHttpFullRequest.builder()
                .method(SdkHttpMethod.GET)
                .uri(uri)
                .build();
        SignedRequest signed = signer.sign(r -> r
                .identity(AwsCredentialsIdentity.create(settings.accessKeyId(), settings.secretAccessKey()))
                .request(unsigned)
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "trellis")
                .putProperty(AwsV4HttpSigner.REGION_NAME, settings.region()));
        return signed.request().headers();
    }

    private void accept(VpcSnapshot snapshot, boolean persist) {
        if (!snapshot.vpcId().equals(settings.vpcId())) {
            throw new IllegalStateException("got a snapshot of " + snapshot.vpcId() + " for " + settings.vpcId());
        }
        if (persist) {
            persist(snapshot);
        }
        gateway.accept(snapshot);
        revision = snapshot.revision();
        log.info("serving snapshot {}", snapshot);
    }

    /** Writes the snapshot to a temporary file and renames it over the last one, so a crash leaves a whole file. */
    private void persist(VpcSnapshot snapshot) {
        Path file = persistedSnapshot();
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(settings.dataDir());
            Files.write(temporary, SnapshotCodec.encode(snapshot));
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.warn("cannot persist snapshot {} to {}: {}", snapshot, file, e.getMessage());
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
