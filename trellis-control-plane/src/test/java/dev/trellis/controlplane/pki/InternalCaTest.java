package dev.trellis.controlplane.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.controlplane.store.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InternalCaTest {

    private static final ControlPlaneConfig CONFIG = ControlPlaneConfig.defaults("us-west-2", "111122223333");

    @TempDir
    Path dir;

    private Store store;
    private final MasterKey masterKey = MasterKey.generate();

    @BeforeEach
    void open() {
        store = TestStores.h2(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static void verify(X509Certificate leaf, X509Certificate root) throws Exception {
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), parameters);
    }

    private static List<String> dnsNames(X509Certificate certificate) throws Exception {
        List<String> names = new ArrayList<>();
        for (List<?> san : certificate.getSubjectAlternativeNames()) {
            if (Integer.valueOf(2).equals(san.get(0))) {
                names.add((String) san.get(1));
            }
        }
        return names;
    }

    @Test
    void theCaIsCreatedOnceAndLoadedFromTheStoreAfterwards() {
        InternalCa first = InternalCa.loadOrCreate(store, masterKey, CONFIG, Clock.systemUTC());
        InternalCa second = InternalCa.loadOrCreate(store, masterKey, CONFIG, Clock.systemUTC());

        X509Certificate root = first.certificate();
        assertThat(second.certificate()).isEqualTo(root);
        assertThat(root.getSubjectX500Principal().getName()).matches("CN=Trellis internal CA [0-9a-f]{8},O=Trellis");
        assertThat(root.getBasicConstraints()).isZero();
        assertThat(root.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(Duration.between(root.getNotBefore().toInstant(), root.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofDays(3650).plusMinutes(5));
        assertThat(first.certificatePem()).startsWith("-----BEGIN CERTIFICATE-----\n");
        assertThat(InternalCa.storedCertificate(store)).contains(root);
    }

    @Test
    void aStoreWithoutACaHasNoCaCertificate() {
        assertThat(InternalCa.storedCertificate(store)).isEmpty();
    }

    @Test
    void theCaKeyIsStoredSealedAndAnotherMasterKeyCannotLoadIt() {
        InternalCa.loadOrCreate(store, masterKey, CONFIG, Clock.systemUTC());

        StoredResource record = store.read(tx -> tx.get(InternalCa.STORE_KIND, "internal")).orElseThrow();
        assertThat(record.document().toString()).doesNotContain("PRIVATE KEY");
        assertThat(record.document().get("_privateKey").asText()).startsWith("v1." + masterKey.fingerprint());
        MasterKey other = MasterKey.generate();
        assertThat(catchThrowableOfType(MasterKey.WrongMasterKeyException.class,
                () -> InternalCa.loadOrCreate(store, other, CONFIG, Clock.systemUTC())))
                .hasMessageContaining("was encrypted with master key " + masterKey.fingerprint());
    }

    @Test
    void issuesServerCertificatesThatVerifyAgainstTheCaForEachKeyType() throws Exception {
        InternalCa ca = InternalCa.loadOrCreate(store, masterKey, CONFIG, Clock.systemUTC());

        for (KeyType type : KeyType.values()) {
            IssuedCertificate issued = ca.issue(List.of("datastore.sarathy.io", "*.sarathy.io",
                    "DATASTORE.sarathy.io", "datastore.sarathy.io"), Duration.ofDays(30), type);

            X509Certificate leaf = issued.certificate();
            verify(leaf, ca.certificate());
            assertThat(leaf.getSubjectX500Principal().getName()).isEqualTo("CN=datastore.sarathy.io");
            assertThat(dnsNames(leaf)).containsExactly("datastore.sarathy.io", "*.sarathy.io", "DATASTORE.sarathy.io");
            assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
            assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
            assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
                    .isEqualTo(Duration.ofDays(30).plusMinutes(5));
            assertThat(InternalCa.matches(issued.privateKey(), leaf.getPublicKey())).isTrue();
            assertThat(issued.chain()).containsExactly(ca.certificate());
            assertThat(issued.chainPem()).isEqualTo(ca.certificatePem());
            assertThat(issued.privateKeyPem()).startsWith("-----BEGIN PRIVATE KEY-----\n");
            assertThat(issued.toString()).doesNotContain("PRIVATE");
        }
    }

    @Test
    void aNameLongerThanACommonNameLeavesTheSubjectEmptyAndTheSanCritical() throws Exception {
        InternalCa ca = InternalCa.loadOrCreate(store, masterKey, CONFIG, Clock.systemUTC());
        String generated = "datastore-0a1b2c3d4e5f67890.7d67968.vpc-lattice-svcs.us-west-2.on.aws";

        X509Certificate leaf = ca.issue(List.of(generated), Duration.ofDays(7), KeyType.EC_P256).certificate();

        verify(leaf, ca.certificate());
        assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
        assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.17");
        assertThat(dnsNames(leaf)).containsExactly(generated);
    }

    @Test
    void noCertificateOutlivesTheCa() {
        InternalCa ca = InternalCa.loadOrCreate(store, masterKey, CONFIG, Clock.systemUTC());
        Instant late = ca.certificate().getNotAfter().toInstant().minus(Duration.ofDays(10));
        InternalCa later = InternalCa.loadOrCreate(store, masterKey, CONFIG, Clock.fixed(late, ZoneOffset.UTC));

        X509Certificate leaf = later.issue(List.of("late.sarathy.io"), Duration.ofDays(395), KeyType.EC_P256)
                .certificate();

        assertThat(leaf.getNotAfter()).isEqualTo(ca.certificate().getNotAfter());
    }

    @Test
    void refusesNamesThatAreNotDnsNames() {
        InternalCa ca = InternalCa.loadOrCreate(store, masterKey, CONFIG, Clock.systemUTC());

        for (List<String> names : List.of(List.<String>of(), List.of("not a name"), List.of("a.*.example.com"),
                List.of("*.*.example.com"), List.of("-lead.example.com"))) {
            assertThat(catchThrowableOfType(IllegalArgumentException.class,
                    () -> ca.issue(names, Duration.ofDays(1), KeyType.EC_P256))).as(names.toString()).isNotNull();
        }
    }

    @Test
    void writesItsCertificateReadableByEveryone() throws Exception {
        InternalCa ca = InternalCa.loadOrCreate(store, masterKey, CONFIG, Clock.systemUTC());
        Path file = dir.resolve("ca.pem");

        ca.writeCertificate(file);
        ca.writeCertificate(file);

        assertThat(Files.readString(file)).isEqualTo(ca.certificatePem());
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-r--r--");
    }
}
