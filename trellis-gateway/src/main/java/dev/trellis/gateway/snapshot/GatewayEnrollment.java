package dev.trellis.gateway.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.gateway.fabric.FabricIdentity;
import dev.trellis.gateway.fabric.FabricTls;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway's membership of the fabric: it registers with the control plane (its fabric address, and a fresh EC
 * P-256 public key the control plane certifies for {@code <vpcId>.gateway.trellis.internal}), keeps the certificate
 * and key in its data directory (owner-only), and registers again — with a new key — once half of the certificate's
 * validity has passed. The private key never leaves the gateway.
 *
 * <p>Static stability: a gateway that cannot reach the control plane at start uses its persisted identity while the
 * certificate is valid, and keeps trying to register in the background. Only a gateway that never registered waits
 * for the control plane before it serves.
 */
public final class GatewayEnrollment implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GatewayEnrollment.class);
    static final String FILE = "fabric-identity.json";
    private static final Duration RETRY_MIN = Duration.ofSeconds(1);
    private static final Duration RETRY_MAX = Duration.ofSeconds(30);
    private static final Duration CHECK_AT_LEAST_EVERY = Duration.ofHours(1);

    /** Where this gateway is reached by its peers, and under which id it is registered. */
    public record Registration(String vpcId, String gatewayId, String fabricHost, int fabricPort) {
        public Registration {
            Objects.requireNonNull(vpcId, "vpcId");
            Objects.requireNonNull(gatewayId, "gatewayId");
            Objects.requireNonNull(fabricHost, "fabricHost");
        }
    }

    /** A persisted identity and the registration it belongs to. */
    private record Enrolled(Registration registration, FabricIdentity identity, Instant issuedAt, Instant notAfter) {
        Instant renewAt() {
            return issuedAt.plus(Duration.between(issuedAt, notAfter).dividedBy(2));
        }
    }

    private final ControlPlaneClient controlPlane;
    private final Registration registration;
    private final Path file;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private volatile FabricTls tls;
    private volatile Enrolled current;
    private volatile boolean running = true;
    private Thread renewer;

    public GatewayEnrollment(ControlPlaneClient controlPlane, Registration registration, Path dataDir, Clock clock) {
        this.controlPlane = controlPlane;
        this.registration = registration;
        this.file = dataDir.resolve(FILE);
        this.clock = clock;
    }

    /** The fabric port this gateway registered last time (so a restart keeps its address), if any. */
    public static Optional<Integer> persistedPort(Path dataDir, String vpcId) {
        try {
            JsonNode node = new ObjectMapper().readTree(dataDir.resolve(FILE).toFile());
            return vpcId.equals(node.path("vpcId").asText()) ? Optional.of(node.path("fabricPort").asInt())
                    : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Registers, or falls back to the persisted identity when the control plane does not answer; without either,
     * retries until the control plane answers. Then renews in the background.
     *
     * @param progress told, once, that the gateway is waiting for the control plane
     * @return the fabric TLS material, updated in place on renewal
     */
    public FabricTls start(Runnable progress) throws InterruptedException {
        Optional<Enrolled> persisted = load().filter(e -> e.registration().equals(registration)
                && e.notAfter().isAfter(clock.instant().plus(Duration.ofMinutes(5))));
        Duration backoff = RETRY_MIN;
        boolean told = false;
        while (true) {
            try {
                current = register();
                break;
            } catch (IOException | RuntimeException e) {
                if (persisted.isPresent()) {
                    log.warn("cannot register with the control plane ({}); using the persisted fabric certificate"
                            + " valid until {}, registering again in the background", e.getMessage(),
                            persisted.get().notAfter());
                    current = persisted.get();
                    break;
                }
                if (!told) {
                    progress.run();
                    told = true;
                }
                log.warn("cannot register with the control plane ({}); retrying in {} ms", e.getMessage(),
                        backoff.toMillis());
                Thread.sleep(backoff.toMillis());
                backoff = min(backoff.multipliedBy(2), RETRY_MAX);
            }
        }
        tls = FabricTls.create(registration.vpcId(), current.identity());
        renewer = new Thread(this::renewLoop, "fabric-enrollment-" + registration.vpcId());
        renewer.setDaemon(true);
        renewer.start();
        return tls;
    }

    /** When the current certificate ends. */
    public Instant notAfter() {
        return current.notAfter();
    }

    private Enrolled register() throws IOException {
        KeyPair keys = newKeyPair();
        GatewayCertificate certificate = controlPlane.register(registration.vpcId(), registration.gatewayId(),
                registration.fabricHost(), registration.fabricPort(), keys);
        Enrolled enrolled = new Enrolled(registration, FabricIdentity.of(certificate.certificateChainPem(),
                keys.getPrivate(), certificate.caCertificatePem()), clock.instant(), certificate.notAfter());
        persist(enrolled);
        log.info("registered as {} of {} at {}:{}; fabric certificate valid until {}", registration.gatewayId(),
                registration.vpcId(), registration.fabricHost(), registration.fabricPort(), certificate.notAfter());
        return enrolled;
    }

    /**
     * Registers again at half-life, and soon after a start that had to use the persisted identity (so the control
     * plane learns this gateway's address again); failures are retried with backoff.
     */
    private void renewLoop() {
        boolean registeredThisRun = current.issuedAt().isAfter(clock.instant().minusSeconds(60));
        Duration backoff = RETRY_MIN;
        while (running) {
            Instant due = registeredThisRun ? current.renewAt() : clock.instant();
            Duration wait = Duration.between(clock.instant(), due);
            try {
                if (!wait.isNegative() && !wait.isZero()) {
                    Thread.sleep(min(wait, CHECK_AT_LEAST_EVERY).toMillis());
                    continue;
                }
                Enrolled renewed = register();
                tls.update(renewed.identity());
                current = renewed;
                registeredThisRun = true;
                backoff = RETRY_MIN;
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (!running) {
                    return;
                }
                log.warn("registration with the control plane failed ({}); the fabric certificate is valid until"
                        + " {}; retrying in {} ms", e.getMessage(), current.notAfter(), backoff.toMillis());
                try {
                    Thread.sleep(backoff.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoff = min(backoff.multipliedBy(2), RETRY_MAX);
            }
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot make EC P-256 keys", e);
        }
    }

    private Optional<Enrolled> load() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            JsonNode node = json.readTree(file.toFile());
            Registration saved = new Registration(node.path("vpcId").asText(), node.path("gatewayId").asText(),
                    node.path("fabricHost").asText(), node.path("fabricPort").asInt());
            FabricIdentity identity = new FabricIdentity(node.path("certificateChain").asText(),
                    node.path("privateKey").asText(), node.path("caCertificates").asText());
            return Optional.of(new Enrolled(saved, identity, Instant.parse(node.path("issuedAt").asText()),
                    Instant.parse(node.path("notAfter").asText())));
        } catch (IOException | RuntimeException e) {
            log.warn("ignoring the persisted fabric identity {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    /** Writes the identity owner-only to a temporary file, then renames it over the last one. */
    private void persist(Enrolled enrolled) throws IOException {
        ObjectNode node = json.createObjectNode()
                .put("vpcId", enrolled.registration().vpcId())
                .put("gatewayId", enrolled.registration().gatewayId())
                .put("fabricHost", enrolled.registration().fabricHost())
                .put("fabricPort", enrolled.registration().fabricPort())
                .put("issuedAt", enrolled.issuedAt().toString())
                .put("notAfter", enrolled.notAfter().toString())
                .put("certificateChain", enrolled.identity().certificateChainPem())
                .put("privateKey", enrolled.identity().privateKeyPem())
                .put("caCertificates", enrolled.identity().caCertificatesPem());
        Files.createDirectories(file.getParent());
        Path temporary = file.resolveSibling(FILE + ".tmp");
        Files.deleteIfExists(temporary);
        try {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(temporary);
        }
        Files.write(temporary, json.writeValueAsBytes(node));
        try {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        running = false;
        if (renewer != null) {
            renewer.interrupt();
        }
    }
}
