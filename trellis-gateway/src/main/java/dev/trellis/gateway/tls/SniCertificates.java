package dev.trellis.gateway.tls;

import dev.trellis.model.snapshot.CertificateEntry;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which certificate answers which server name, compiled once per snapshot: every service reachable from the VPC
 * that has an HTTPS listener maps its generated name to Trellis's certificate of the generated names (the entry
 * without an ARN) and its custom domain to the ACM certificate its {@code certificateArn} names, when that
 * certificate covers the name (exact, or a one-level wildcard). Any other name — including none — has no
 * certificate: there is no fallback (facts §1, "HTTPS on a custom domain").
 *
 * <p>Keyed by the service's names rather than by every name a certificate covers, so that two certificates
 * covering one name ({@code *.example.com} twice) cannot make a service present another service's certificate.
 * Immutable; read on event loops without locks.
 */
public final class SniCertificates {

    private static final Logger log = LoggerFactory.getLogger(SniCertificates.class);

    /** No names, no certificates: a snapshot without HTTPS listeners. */
    public static final SniCertificates NONE = new SniCertificates(Map.of(), Map.of(), Map.of());

    private final Map<String, ServerCertificate> byName;
    private final Map<String, ServerCertificate> byFingerprint;
    /**
     * The compiled certificate of each snapshot entry object: an entry that is the very same object in the next
     * snapshot (a {@code SnapshotDecoder} hands unchanged entries over that way) needs no fingerprint.
     */
    private final Map<CertificateEntry, ServerCertificate> byEntry;

    private SniCertificates(Map<String, ServerCertificate> byName, Map<String, ServerCertificate> byFingerprint,
                            Map<CertificateEntry, ServerCertificate> byEntry) {
        this.byName = byName;
        this.byFingerprint = byFingerprint;
        this.byEntry = byEntry;
    }

    /**
     * Compiles the certificates of {@code snapshot}, reusing the parsed certificates (and their SSL contexts) of
     * {@code previous} whose chain and key are unchanged (the very same entry object, or equal chain and key by
     * fingerprint). A certificate that does not parse or whose key does not
     * match is left out and logged (its names then fail the handshake); the rest of the snapshot is served.
     */
    public static SniCertificates compile(VpcSnapshot snapshot, SniCertificates previous) {
        if (snapshot.certificates().isEmpty()) {
            return NONE;
        }
        Map<String, ServerCertificate> byFingerprint = new HashMap<>();
        Map<String, ServerCertificate> managed = new HashMap<>(1);
        Map<String, ServerCertificate> byArn = new HashMap<>();
        Map<CertificateEntry, ServerCertificate> byEntry = new IdentityHashMap<>();
        for (CertificateEntry entry : snapshot.certificates()) {
            ServerCertificate certificate = previous.byEntry.get(entry);
            String fingerprint;
            if (certificate != null) {
                fingerprint = certificate.fingerprint();
            } else {
                fingerprint = ServerCertificate.fingerprint(entry);
                certificate = byFingerprint.get(fingerprint);
                if (certificate == null) {
                    certificate = previous.byFingerprint.get(fingerprint);
                }
            }
            if (certificate == null) {
                try {
                    certificate = ServerCertificate.of(entry);
                } catch (IllegalArgumentException e) {
                    log.error("snapshot {} of {}: {} is left out: {}", snapshot.revision(), snapshot.vpcId(), entry,
                            e.getMessage());
                    continue;
                }
            }
            byFingerprint.put(fingerprint, certificate);
            byEntry.put(entry, certificate);
            if (entry.arn() == null) {
                managed.putIfAbsent("", certificate);
            } else {
                byArn.putIfAbsent(entry.arn(), certificate);
            }
        }
        Map<String, ServerCertificate> byName = new HashMap<>();
        for (ServiceEntry service : snapshot.services()) {
            if (!hasHttpsListener(service)) {
                continue;
            }
            map(byName, service.domainName(), managed.get(""), service, "the certificate of the generated names");
            if (service.customDomainName() != null && service.certificateArn() != null) {
                map(byName, service.customDomainName(), byArn.get(service.certificateArn()), service,
                        service.certificateArn());
            }
        }
        return new SniCertificates(Map.copyOf(byName), Map.copyOf(byFingerprint),
                Collections.unmodifiableMap(byEntry));
    }

    private static void map(Map<String, ServerCertificate> byName, String name, ServerCertificate certificate,
                            ServiceEntry service, String what) {
        String host = ServerCertificate.normalize(name);
        if (certificate == null) {
            log.warn("{} ({}) has an HTTPS listener but the snapshot has no usable {}: handshakes for {} fail",
                    service.id(), service.name(), what, host);
        } else if (!certificate.covers(host)) {
            log.warn("{} does not cover {} of {}: handshakes for it fail", certificate, host, service.id());
        } else {
            byName.putIfAbsent(host, certificate);
        }
    }

    private static boolean hasHttpsListener(ServiceEntry service) {
        for (ServiceListener listener : service.listeners()) {
            if ("HTTPS".equals(listener.protocol())) {
                return true;
            }
        }
        return false;
    }

    /** The certificate for a server name (any case, trailing dot ignored), or null when there is none. */
    public ServerCertificate find(String serverName) {
        return serverName == null ? null : byName.get(ServerCertificate.normalize(serverName));
    }

    /** The distinct certificates compiled (for logs and tests). */
    public List<ServerCertificate> certificates() {
        return new ArrayList<>(byFingerprint.values());
    }

    /** The number of names with a certificate. */
    public int size() {
        return byName.size();
    }
}
