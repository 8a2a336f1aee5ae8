package dev.trellis.controlplane.pki;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.snapshot.CertificateEntry;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate HTTPS listeners present for the generated names, as Lattice manages one for its FQDNs: one
 * wildcard {@code *.<dnsSuffix>} (every generated name is exactly one label below the suffix), RSA 2048 (the TLS 1.2
 * suites of Lattice's policy are all RSA), issued by the {@link InternalCa} and kept in the store with its key
 * sealed by the {@link MasterKey}, so every control-plane start and every replica serves the same one.
 *
 * <p>One wildcard rather than one certificate per service: a new service's HTTPS works at once (nothing to issue),
 * there is one key to rotate, and snapshots carry one entry however many services there are. What it gives up: a
 * gateway holding it could present any generated name — but gateways are trusted parts of Trellis already (they
 * hold the callers' derived signing keys and a fabric identity).
 *
 * <p>Rotation: re-issued with a new key once half its validity has passed ({@link #refresh}), in one write
 * transaction that re-checks the stored certificate first, so replicas rotating together issue it once. The write
 * gives the store a new revision, so every VPC's snapshot — and gateway — gets the new certificate; connections
 * already open keep theirs.
 */
public final class ManagedCertificate {

    private static final Logger log = LoggerFactory.getLogger(ManagedCertificate.class);

    public static final String STORE_KIND = "trellis-managed-certificate";
    static final String ID = "generated-names";
    /** Validity of each issue; re-issued at half of it. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(90);

    private final Store store;
    private final InternalCa ca;
    private final MasterKey masterKey;
    private final Clock clock;
    private final Duration validity;
    private final String accountId;
    private final String arn;
    private final String name;
    /** When the stored certificate is due for rotation (cached so that a compile does not read it); null unknown. */
    private volatile Instant rotateAt;

    public ManagedCertificate(Store store, InternalCa ca, MasterKey masterKey, ControlPlaneConfig config, Clock clock,
                              Duration validity) {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive, not " + validity);
        }
        this.store = store;
        this.ca = ca;
        this.masterKey = masterKey;
        this.clock = clock;
        this.validity = validity;
        this.accountId = config.accountId();
        this.arn = "arn:" + config.partition() + ":trellis:" + config.region() + ":" + config.accountId()
                + ":certificate/" + ID;
        this.name = "*." + config.dnsSuffix();
    }

    /** The name the certificate covers: {@code *.<dnsSuffix>}. */
    public String domainName() {
        return name;
    }

    /**
     * Issues the certificate when the store has none, or re-issues it when half its validity has passed. Call
     * outside any transaction (it may write); cheap when nothing is due.
     */
    public void refresh() {
        Instant now = clock.instant();
        Instant due = rotateAt;
        if (due != null && now.isBefore(due)) {
            return;
        }
        Optional<StoredResource> stored = store.read(tx -> tx.get(STORE_KIND, ID));
        if (stored.isPresent() && now.isBefore(rotateAt(stored.get()))) {
            rotateAt = rotateAt(stored.get());
            return;
        }
        StoredResource current = store.write(tx -> {
            Optional<StoredResource> again = tx.get(STORE_KIND, ID);
            if (again.isPresent() && now.isBefore(rotateAt(again.get()))) {
                return again.get(); // another replica rotated it meanwhile
            }
            ObjectNode document = issue(now);
            if (again.isPresent()) {
                log.info("re-issued the certificate of the generated names {} (valid until {})", name,
                        document.get("notAfter").asText());
                return tx.update(again.get().withDocument(document));
            }
            log.info("issued the certificate of the generated names {} (valid until {})", name,
                    document.get("notAfter").asText());
            return tx.insert(StoredResource.create(STORE_KIND, ID, arn, accountId, null, null, document));
        });
        rotateAt = rotateAt(current);
    }

    /** The stored certificate as a snapshot entry (key decrypted), read in {@code tx}; empty before the first issue. */
    public Optional<CertificateEntry> read(StoreTransaction tx) {
        return tx.get(STORE_KIND, ID).map(record -> {
            JsonNode doc = record.document();
            byte[] der = masterKey.open(doc.get("_privateKey").asText(), record.arn());
            try {
                List<X509Certificate> chain = Pem.parseCertificates(doc.get("certificateChain").asText());
                PrivateKey key = Pem.pkcs8(der, chain.get(0).getPublicKey().getAlgorithm());
                return new CertificateEntry(null, List.of(doc.get("domainName").asText()),
                        doc.get("certificateChain").asText(), Pem.privateKey(key),
                        Instant.parse(doc.get("notAfter").asText()));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the stored certificate of the generated names cannot be read", e);
            }
        });
    }

    private ObjectNode issue(Instant now) {
        IssuedCertificate issued = ca.issue(List.of(name), validity, KeyType.RSA_2048);
        X509Certificate certificate = issued.certificate();
        return JsonNodeFactory.instance.objectNode()
                .put("domainName", name)
                .put("certificateChain", issued.certificatePem() + issued.chainPem())
                .put("serial", certificate.getSerialNumber().toString(16))
                .put("notBefore", certificate.getNotBefore().toInstant().toString())
                .put("notAfter", certificate.getNotAfter().toInstant().toString())
                .put("issuedAt", now.toString())
                .put("_privateKey", masterKey.seal(issued.privateKey().getEncoded(), arn));
    }

    /** Half-way between notBefore and notAfter; a certificate for another suffix is due at once. */
    private Instant rotateAt(StoredResource record) {
        JsonNode doc = record.document();
        if (!name.equals(doc.path("domainName").asText())) {
            return Instant.MIN;
        }
        Instant notBefore = Instant.parse(doc.get("notBefore").asText());
        Instant notAfter = Instant.parse(doc.get("notAfter").asText());
        return notBefore.plus(Duration.between(notBefore, notAfter).dividedBy(2));
    }
}
