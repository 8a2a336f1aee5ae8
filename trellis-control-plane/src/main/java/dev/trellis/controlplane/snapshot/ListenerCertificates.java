package dev.trellis.controlplane.snapshot;

import dev.trellis.controlplane.acm.CertificateRecords;
import dev.trellis.controlplane.pki.ManagedCertificate;
import dev.trellis.controlplane.pki.MasterKey;
import dev.trellis.controlplane.pki.Pem;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.Arn;
import dev.trellis.model.snapshot.CertificateEntry;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates of a VPC's snapshot: only for services reachable from the VPC that have an HTTPS listener —
 * the managed certificate of the generated names ({@link ManagedCertificate}) when there is at least one, and the
 * ACM certificate named by the {@code certificateArn} of each such service with a custom domain (once per ARN).
 * Private keys are decrypted here, for the snapshot only: snapshots go to gateways authorized for the VPC
 * ({@code trellis:GetVpcSnapshot}), which persist them owner-only.
 *
 * <p>An ACM certificate is taken as stored, expired or not (the API refused unusable ones when the service was
 * created; one that expired since is what the client gets to see, as with Lattice). A certificate ARN that names
 * nothing (deleted, or another account's) is left out and logged: handshakes for that custom domain fail.
 */
public final class ListenerCertificates implements CertificateSource {

    private static final Logger log = LoggerFactory.getLogger(ListenerCertificates.class);

    private final ManagedCertificate managed;
    private final MasterKey masterKey;

    public ListenerCertificates(ManagedCertificate managed, MasterKey masterKey) {
        this.managed = managed;
        this.masterKey = masterKey;
    }

    @Override
    public void refresh() {
        managed.refresh();
    }

    @Override
    public List<CertificateEntry> certificates(StoreTransaction tx, List<ServiceEntry> services) {
        List<CertificateEntry> certificates = new ArrayList<>();
        Map<String, CertificateEntry> acm = new LinkedHashMap<>();
        boolean anyHttps = false;
        for (ServiceEntry service : services) {
            if (!hasHttpsListener(service)) {
                continue;
            }
            anyHttps = true;
            String arn = service.certificateArn();
            if (service.customDomainName() != null && arn != null && !acm.containsKey(arn)) {
                acmCertificate(tx, service, arn).ifPresent(entry -> acm.put(arn, entry));
            }
        }
        if (anyHttps) {
            Optional<CertificateEntry> generated = managed.read(tx);
            if (generated.isEmpty()) {
                log.warn("the certificate of the generated names has not been issued yet");
            }
            generated.ifPresent(certificates::add);
        }
        certificates.addAll(acm.values());
        return certificates;
    }

    private Optional<CertificateEntry> acmCertificate(StoreTransaction tx, ServiceEntry service, String arn) {
        Arn serviceArn = Arn.tryParse(service.arn());
        String account = serviceArn == null ? "" : serviceArn.accountId();
        Optional<StoredResource> record = CertificateRecords.find(tx, account, arn);
        if (record.isEmpty()) {
            log.warn("service {} names certificate {}, which is not in ACM for account {}: HTTPS to {} will fail",
                    service.id(), arn, account, service.customDomainName());
            return Optional.empty();
        }
        StoredResource certificate = record.get();
        String chain = CertificateRecords.certificatePem(certificate)
                + CertificateRecords.chainPem(certificate);
        String key = Pem.privateKey(CertificateRecords.privateKey(certificate, masterKey));
        return Optional.of(new CertificateEntry(arn, CertificateRecords.names(certificate.document()), chain, key,
                Instant.parse(certificate.document().get("NotAfter").asText())));
    }

    private static boolean hasHttpsListener(ServiceEntry service) {
        for (ServiceListener listener : service.listeners()) {
            if ("HTTPS".equals(listener.protocol())) {
                return true;
            }
        }
        return false;
    }
}
