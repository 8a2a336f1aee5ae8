package dev.trellis.controlplane.acm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trellis.controlplane.store.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.acm.AcmClient;
import software.amazon.awssdk.services.acm.model.CertificateSummary;
import software.amazon.awssdk.services.acm.model.KeyAlgorithm;
import software.amazon.awssdk.services.acm.model.ResourceInUseException;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.CreateServiceResponse;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.ValidationException;
import software.amazon.awssdk.services.vpclattice.model.ValidationExceptionField;

/**
 * ACM certificates on VPC Lattice services with custom domain names (lattice-facts §1 and §3): the walkthrough's
 * {@code datastore.sarathy.io} with an imported certificate, a wildcard, a certificate from Trellis's private CA,
 * and every way a certificate can fail to serve the domain; and ACM refusing to delete a certificate in use.
 */
@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class AcmLatticeTest {

    @TempDir
    static Path dataDir;

    static RunningControlPlane server;
    static AcmClient acm;
    static VpcLatticeClient lattice;
    private static final AtomicInteger NAMES = new AtomicInteger();

    @Parameter
    TestStores.Kind storeKind;

    @BeforeParameterizedClassInvocation
    static void start(TestStores.Kind kind) throws Exception {
        server = RunningControlPlane.start(Files.createTempDirectory(dataDir, kind.name()), kind);
        acm = server.acm();
        lattice = server.lattice();
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (server != null) {
            server.close();
            server = null; // a later invocation skipped (no PostgreSQL) runs this again
        }
    }

    private static String importCertificate(TestCertificates.Material material) {
        return acm.importCertificate(r -> r.certificate(SdkBytes.fromUtf8String(material.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(material.privateKeyPem()))).certificateArn();
    }

    /** A service name not used before in this control plane. */
    private static String name(String base) {
        return base + "-" + NAMES.incrementAndGet();
    }

    private static CreateServiceResponse createService(String domain, String certificateArn) {
        return lattice.createService(r -> r.name(name("datastore")).customDomainName(domain)
                .certificateArn(certificateArn));
    }

    /** The refusal of a call: a ValidationException on certificateArn; returns its message. */
    private static String refusal(Runnable call) {
        ValidationException e = catchThrowableOfType(ValidationException.class, call::run);
        assertThat(e).as("the call's error").isNotNull();
        assertThat(e.fieldList()).extracting(ValidationExceptionField::name).containsExactly("certificateArn");
        return e.fieldList().get(0).message();
    }

    @Test
    void theDatastoreServiceServesItsCustomDomainWithAnImportedCertificate() {
        String certificate = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A,
                "datastore.sarathy.io", "datastore.sarathy.io"));

        CreateServiceResponse service = createService("datastore.sarathy.io", certificate);
        String listener = lattice.createListener(r -> r.serviceIdentifier(service.id()).name("https")
                .protocol(ListenerProtocol.HTTPS).defaultAction(a -> a.fixedResponse(f -> f.statusCode(404)))).id();

        assertThat(service.certificateArn()).isEqualTo(certificate);
        assertThat(lattice.getService(r -> r.serviceIdentifier(service.id())).certificateArn()).isEqualTo(certificate);
        assertThat(lattice.getListener(r -> r.serviceIdentifier(service.id()).listenerIdentifier(listener)).port())
                .isEqualTo(443);
        assertThat(acm.describeCertificate(r -> r.certificateArn(certificate)).certificate().inUseBy())
                .containsExactly(service.arn());
    }

    @Test
    void aCertificateForAnotherNameIsRefused() {
        String certificate = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A,
                "frontend.sarathy.io", "frontend.sarathy.io", "www.sarathy.io"));

        String message = refusal(() -> createService("datastore.sarathy.io", certificate));

        assertThat(message).isEqualTo("certificate " + certificate + " does not cover the custom domain name"
                + " 'datastore.sarathy.io': its names are frontend.sarathy.io, www.sarathy.io (a wildcard covers"
                + " exactly one label)");
    }

    @Test
    void aWildcardCoversExactlyOneLabelOfItsOwnDomain() {
        String sarathy = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A, "*.sarathy.io",
                "*.sarathy.io"));
        String example = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A, "*.example.com",
                "*.example.com"));

        assertThat(createService("datastore.sarathy.io", sarathy).certificateArn()).isEqualTo(sarathy);
        assertThat(refusal(() -> createService("datastore.sarathy.io", example)))
                .contains("does not cover the custom domain name 'datastore.sarathy.io'");
        assertThat(refusal(() -> createService("v2.datastore.sarathy.io", sarathy)))
                .contains("does not cover the custom domain name 'v2.datastore.sarathy.io'");
        assertThat(refusal(() -> createService("sarathy.io", sarathy)))
                .contains("does not cover the custom domain name 'sarathy.io'");
    }

    @Test
    void subjectAlternativeNamesWinOverTheCommonName() {
        String certificate = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A,
                "datastore.sarathy.io", "api.sarathy.io"));

        assertThat(refusal(() -> createService("datastore.sarathy.io", certificate)))
                .contains("its names are api.sarathy.io");
        assertThat(createService("api.sarathy.io", certificate).certificateArn()).isEqualTo(certificate);
    }

    @Test
    void onlyRsa2048CertificatesInThisAccountAreAccepted() {
        String ec = importCertificate(TestCertificates.selfSigned(TestCertificates.EC_P256, "ec.sarathy.io",
                "ec.sarathy.io"));
        String missing = "arn:aws:acm:us-west-2:111122223333:certificate/00000000-1111-2222-3333-444444444444";

        assertThat(refusal(() -> createService("ec.sarathy.io", ec))).isEqualTo("certificate " + ec + " has a"
                + " EC_prime256v1 key; VPC Lattice accepts only certificates with RSA 2048-bit keys");
        assertThat(refusal(() -> createService("missing.sarathy.io", missing))).isEqualTo("'" + missing + "' is not"
                + " a certificate in ACM for this account and region; import one (acm import-certificate) or"
                + " request one (acm request-certificate)");
    }

    @Test
    void aCertificateFromTrellissPrivateCaServesTheService() {
        String certificate = acm.requestCertificate(r -> r.domainName("private.sarathy.io")).certificateArn();
        String ec = acm.requestCertificate(r -> r.domainName("ec-private.sarathy.io")
                .keyAlgorithm(KeyAlgorithm.EC_PRIME256_V1)).certificateArn();

        assertThat(createService("private.sarathy.io", certificate).certificateArn()).isEqualTo(certificate);
        assertThat(refusal(() -> createService("ec-private.sarathy.io", ec))).contains("has a EC_prime256v1 key");
    }

    @Test
    void updateServiceChecksTheCertificateAgainstTheServicesCustomDomain() {
        String right = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A, "update.sarathy.io",
                "update.sarathy.io"));
        String wrong = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A, "other.sarathy.io",
                "other.sarathy.io"));
        String id = lattice.createService(r -> r.name(name("update")).customDomainName("update.sarathy.io")).id();

        assertThat(refusal(() -> lattice.updateService(r -> r.serviceIdentifier(id).certificateArn(wrong))))
                .contains("does not cover the custom domain name 'update.sarathy.io'");
        assertThat(lattice.updateService(r -> r.serviceIdentifier(id).certificateArn(right)).certificateArn())
                .isEqualTo(right);
        assertThat(lattice.updateService(r -> r.serviceIdentifier(id).certificateArn("")).certificateArn()).isNull();
        acm.deleteCertificate(r -> r.certificateArn(right));
    }

    @Test
    void aCertificateInUseCannotBeDeletedUntilTheServiceIsGone() {
        String certificate = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A,
                "inuse.sarathy.io", "inuse.sarathy.io"));
        CreateServiceResponse service = createService("inuse.sarathy.io", certificate);

        ResourceInUseException e = catchThrowableOfType(ResourceInUseException.class,
                () -> acm.deleteCertificate(r -> r.certificateArn(certificate)));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Certificate " + certificate + " is in use by "
                + service.arn() + "; remove it from that resource first");
        CertificateSummary summary = acm.listCertificates(r -> { }).certificateSummaryList().stream()
                .filter(s -> s.certificateArn().equals(certificate)).findFirst().orElseThrow();
        assertThat(summary.inUse()).isTrue();

        lattice.deleteService(r -> r.serviceIdentifier(service.id()));
        acm.deleteCertificate(r -> r.certificateArn(certificate));
    }

    @Test
    void aReimportMustKeepCoveringTheDomainsOfTheServicesUsingIt() {
        TestCertificates.Material original = TestCertificates.selfSigned(TestCertificates.RSA_A,
                "reimport.sarathy.io", "reimport.sarathy.io");
        String certificate = importCertificate(original);
        CreateServiceResponse service = createService("reimport.sarathy.io", certificate);
        TestCertificates.Material narrower = TestCertificates.selfSigned(TestCertificates.RSA_B,
                "elsewhere.sarathy.io", "elsewhere.sarathy.io");
        TestCertificates.Material wider = TestCertificates.selfSigned(TestCertificates.RSA_B, "*.sarathy.io",
                "*.sarathy.io", "sarathy.io");

        var e = catchThrowableOfType(software.amazon.awssdk.services.acm.model.ValidationException.class,
                () -> acm.importCertificate(r -> r.certificateArn(certificate)
                        .certificate(SdkBytes.fromUtf8String(narrower.certificatePem()))
                        .privateKey(SdkBytes.fromUtf8String(narrower.privateKeyPem()))));
        acm.importCertificate(r -> r.certificateArn(certificate)
                .certificate(SdkBytes.fromUtf8String(wider.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(wider.privateKeyPem())));

        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("The new certificate does not cover"
                + " 'reimport.sarathy.io', the custom domain name of " + service.arn() + ", which uses this"
                + " certificate; its names are elsewhere.sarathy.io");
        assertThat(acm.describeCertificate(r -> r.certificateArn(certificate)).certificate()
                .subjectAlternativeNames()).containsExactly("*.sarathy.io", "sarathy.io");
    }
}
