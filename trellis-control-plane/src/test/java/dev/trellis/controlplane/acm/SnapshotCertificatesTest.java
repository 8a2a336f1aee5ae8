package dev.trellis.controlplane.acm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.TestClock;
import dev.trellis.controlplane.TestVpcs;
import dev.trellis.controlplane.pki.InternalCa;
import dev.trellis.controlplane.pki.ManagedCertificate;
import dev.trellis.controlplane.pki.MasterKey;
import dev.trellis.controlplane.pki.Pem;
import dev.trellis.controlplane.snapshot.CertificateSource;
import dev.trellis.controlplane.snapshot.ListenerCertificates;
import dev.trellis.controlplane.snapshot.SnapshotService;
import dev.trellis.controlplane.store.TestStores;
import dev.trellis.model.snapshot.CertificateEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;

/**
 * What a VPC's snapshot carries for HTTPS listeners, compiled from a real control plane's store after the calls a
 * user makes: the managed certificate of the generated names (issued by the internal CA, verified against the
 * {@code ca.pem} the control plane wrote) and the imported ACM certificate of a reachable HTTPS service with a
 * custom domain — and not the certificates of services without HTTPS listeners or not reachable from the VPC.
 * Rotation at half-life: a new certificate and key, a new snapshot revision, and one issue that every
 * control-plane instance over the store agrees on.
 */
class SnapshotCertificatesTest {

    @TempDir
    static Path dataDir;
    static RunningControlPlane server;
    static VpcLatticeClient lattice;
    static String vpc;
    static String datastoreCertificate;
    static String httpOnlyCertificate;
    static String unreachableCertificate;
    static TestCertificates.Material datastoreMaterial;

    @BeforeAll
    static void start() throws Exception {
        server = RunningControlPlane.start(dataDir, TestStores.Kind.H2);
        lattice = server.lattice();
        vpc = TestVpcs.create(server.controlPlane, server.admin);
        datastoreMaterial = TestCertificates.selfSigned(TestCertificates.RSA_A, "*.sarathy.io", "*.sarathy.io");
        datastoreCertificate = importCertificate(datastoreMaterial);
        httpOnlyCertificate = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_B,
                "inventory.sarathy.io", "inventory.sarathy.io"));
        unreachableCertificate = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_B,
                "billing.sarathy.io", "billing.sarathy.io"));

        String network = lattice.createServiceNetwork(r -> r.name("walkthrough")).id();
        lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(network).vpcIdentifier(vpc));
        String datastore = service("datastore", "datastore.sarathy.io", datastoreCertificate, ListenerProtocol.HTTPS);
        String inventory = service("inventory", "inventory.sarathy.io", httpOnlyCertificate, ListenerProtocol.HTTP);
        service("billing", "billing.sarathy.io", unreachableCertificate, ListenerProtocol.HTTPS);
        for (String service : List.of(datastore, inventory)) {
            lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(network)
                    .serviceIdentifier(service));
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String importCertificate(TestCertificates.Material material) {
        return server.acm().importCertificate(r -> r.certificate(SdkBytes.fromUtf8String(material.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(material.privateKeyPem()))).certificateArn();
    }

    private static String service(String name, String domain, String certificate, ListenerProtocol protocol) {
        String id = lattice.createService(r -> r.name(name).customDomainName(domain).certificateArn(certificate)).id();
        lattice.createListener(r -> r.serviceIdentifier(id).name("main").protocol(protocol)
                .defaultAction(a -> a.fixedResponse(f -> f.statusCode(404))));
        return id;
    }

    /** A snapshot service over the running control plane's store, as another replica (or a restart) would have. */
    private static SnapshotService snapshots(TestClock clock, Duration validity) {
        ControlPlaneConfig config = server.controlPlane.config();
        MasterKey masterKey = MasterKey.load(server.dataDir, Map.of());
        InternalCa ca = InternalCa.loadOrCreate(server.controlPlane.store(), masterKey, config, clock);
        CertificateSource certificates = new ListenerCertificates(
                new ManagedCertificate(server.controlPlane.store(), ca, masterKey, config, clock, validity), masterKey);
        return new SnapshotService(server.controlPlane.store(), config, clock, (tx, region, now) -> List.of(),
                certificates);
    }

    private static CertificateEntry managed(VpcSnapshot snapshot) {
        return snapshot.certificates().stream().filter(c -> c.arn() == null).findFirst().orElseThrow();
    }

    private static X509Certificate leaf(CertificateEntry entry) throws Exception {
        return Pem.parseCertificates(entry.certificateChainPem()).get(0);
    }

    private static PrivateKey key(CertificateEntry entry, String algorithm) throws Exception {
        String base64 = entry.privateKeyPem().replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(
                Base64.getDecoder().decode(base64)));
    }

    private static boolean keyMatches(PrivateKey key, X509Certificate certificate) throws Exception {
        Signature signer = Signature.getInstance("SHA256withRSA");
        signer.initSign(key);
        signer.update(new byte[] {1, 2, 3});
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(certificate.getPublicKey());
        verifier.update(new byte[] {1, 2, 3});
        return verifier.verify(signature);
    }

    @Test
    void theVpcSnapshotCarriesTheManagedCertificateAndTheAcmCertificateOfReachableHttpsServices()
            throws Exception {
        VpcSnapshot snapshot = snapshots(new TestClock(), ManagedCertificate.DEFAULT_VALIDITY).current(vpc);

        assertThat(snapshot.certificates()).extracting(CertificateEntry::arn)
                .containsExactlyInAnyOrder(null, datastoreCertificate);

        CertificateEntry managed = managed(snapshot);
        String suffix = server.controlPlane.config().dnsSuffix();
        assertThat(managed.domainNames()).containsExactly("*." + suffix);
        X509Certificate leaf = leaf(managed);
        X509Certificate ca = Pem.parseCertificates(Files.readString(
                server.dataDir.resolve(InternalCa.CERTIFICATE_FILE))).get(0);
        leaf.verify(ca.getPublicKey()); // throws unless the internal CA in ca.pem signed it
        assertThat(leaf.getSubjectAlternativeNames().stream().map(n -> (String) n.get(1)).toList())
                .containsExactly("*." + suffix);
        assertThat(((RSAPublicKey) leaf.getPublicKey()).getModulus().bitLength()).isEqualTo(2048);
        assertThat(keyMatches(key(managed, "RSA"), leaf)).isTrue();

        CertificateEntry acm = snapshot.certificates().stream()
                .filter(c -> datastoreCertificate.equals(c.arn())).findFirst().orElseThrow();
        assertThat(acm.domainNames()).containsExactly("*.sarathy.io");
        assertThat(leaf(acm)).isEqualTo(datastoreMaterial.certificate());
        assertThat(key(acm, "RSA").getEncoded()).isEqualTo(datastoreMaterial.keys().getPrivate().getEncoded());
        assertThat(snapshot.toString()).doesNotContain("PRIVATE KEY");
        assertThat(acm.toString()).doesNotContain("PRIVATE KEY");
    }

    @Test
    void theManagedCertificateIsReissuedAtHalfLifeOnceForEveryInstance() throws Exception {
        TestClock clock = new TestClock();
        Duration validity = Duration.ofDays(10);
        SnapshotService first = snapshots(clock, validity);
        SnapshotService second = snapshots(clock, validity);
        VpcSnapshot before = first.current(vpc);
        X509Certificate issued = leaf(managed(before));
        // Another instance over the same store serves the same certificate.
        assertThat(leaf(managed(second.current(vpc)))).isEqualTo(issued);

        // Not yet due (half-way between notBefore and notAfter): nothing changes, the label stays.
        java.time.Instant notBefore = issued.getNotBefore().toInstant();
        java.time.Instant halfLife = notBefore.plus(Duration.between(notBefore, issued.getNotAfter().toInstant())
                .dividedBy(2));
        clock.advance(Duration.between(clock.instant(), halfLife).minusMinutes(1));
        assertThat(first.current(vpc).revision()).isEqualTo(before.revision());

        clock.advance(Duration.ofMinutes(2));
        VpcSnapshot after = first.current(vpc);
        X509Certificate reissued = leaf(managed(after));
        assertThat(reissued.getSerialNumber()).isNotEqualTo(issued.getSerialNumber());
        assertThat(reissued.getPublicKey()).isNotEqualTo(issued.getPublicKey());
        assertThat(after.revision()).isGreaterThan(before.revision());
        assertThat(keyMatches(key(managed(after), "RSA"), reissued)).isTrue();
        // The other instance does not issue again: it reads the rotated one.
        assertThat(leaf(managed(second.current(vpc)))).isEqualTo(reissued);
    }
}
