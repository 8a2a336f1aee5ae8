package dev.trellis.controlplane.acm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.controlplane.pki.MasterKey;
import dev.trellis.controlplane.pki.Pem;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.controlplane.store.TestStores;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.acm.AcmClient;
import software.amazon.awssdk.services.acm.model.AcmException;
import software.amazon.awssdk.services.acm.model.CertificateDetail;
import software.amazon.awssdk.services.acm.model.CertificateStatus;
import software.amazon.awssdk.services.acm.model.CertificateSummary;
import software.amazon.awssdk.services.acm.model.CertificateType;
import software.amazon.awssdk.services.acm.model.ExtendedKeyUsageName;
import software.amazon.awssdk.services.acm.model.GetCertificateResponse;
import software.amazon.awssdk.services.acm.model.ImportCertificateRequest;
import software.amazon.awssdk.services.acm.model.InvalidArnException;
import software.amazon.awssdk.services.acm.model.InvalidArgsException;
import software.amazon.awssdk.services.acm.model.InvalidParameterException;
import software.amazon.awssdk.services.acm.model.InvalidTagException;
import software.amazon.awssdk.services.acm.model.KeyAlgorithm;
import software.amazon.awssdk.services.acm.model.KeyUsageName;
import software.amazon.awssdk.services.acm.model.ListCertificatesResponse;
import software.amazon.awssdk.services.acm.model.RenewalEligibility;
import software.amazon.awssdk.services.acm.model.ResourceNotFoundException;
import software.amazon.awssdk.services.acm.model.Tag;
import software.amazon.awssdk.services.acm.model.TooManyTagsException;
import software.amazon.awssdk.services.acm.model.ValidationException;

/**
 * The ACM API through the AWS SDK for Java v2 against a real control plane, on H2 and on PostgreSQL: every
 * operation Trellis serves and its errors. Tests share one control plane per store and never assume they are
 * alone in the account.
 */
@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class AcmApiTest {

    @TempDir
    static Path dataDir;

    static RunningControlPlane server;
    static AcmClient acm;

    @Parameter
    TestStores.Kind storeKind;

    @BeforeParameterizedClassInvocation
    static void start(TestStores.Kind kind) throws Exception {
        server = RunningControlPlane.start(Files.createTempDirectory(dataDir, kind.name()), kind);
        acm = server.acm();
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (server != null) {
            server.close();
            server = null; // a later invocation skipped (no PostgreSQL) runs this again
        }
    }

    static String importCertificate(TestCertificates.Material material) {
        return acm.importCertificate(r -> r.certificate(SdkBytes.fromUtf8String(material.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(material.privateKeyPem()))).certificateArn();
    }

    static <T extends AcmException> T failure(Class<T> type, Runnable call) {
        AcmException e = catchThrowableOfType(AcmException.class, call::run);
        assertThat(e).as("the error of the call").isInstanceOf(type);
        assertThat(e.statusCode()).isEqualTo(400);
        return type.cast(e);
    }

    // ImportCertificate, DescribeCertificate, GetCertificate

    @Test
    void importsACertificateAndDescribesItsNamesValidityKeyAndIssuer() {
        TestCertificates.Material material = TestCertificates.selfSigned(TestCertificates.RSA_A,
                "datastore.sarathy.io", "datastore.sarathy.io", "*.datastore.sarathy.io");

        String arn = importCertificate(material);

        assertThat(arn).matches("arn:aws:acm:us-west-2:111122223333:certificate/[0-9a-f-]{36}");
        CertificateDetail detail = acm.describeCertificate(r -> r.certificateArn(arn)).certificate();
        assertThat(detail.certificateArn()).isEqualTo(arn);
        assertThat(detail.domainName()).isEqualTo("datastore.sarathy.io");
        assertThat(detail.subjectAlternativeNames()).containsExactly("datastore.sarathy.io", "*.datastore.sarathy.io");
        assertThat(detail.type()).isEqualTo(CertificateType.IMPORTED);
        assertThat(detail.status()).isEqualTo(CertificateStatus.ISSUED);
        assertThat(detail.keyAlgorithm()).isEqualTo(KeyAlgorithm.RSA_2048);
        assertThat(detail.notBefore()).isEqualTo(material.certificate().getNotBefore().toInstant());
        assertThat(detail.notAfter()).isEqualTo(material.certificate().getNotAfter().toInstant());
        assertThat(detail.serial()).isEqualTo(CertificateFacts.serial(material.certificate().getSerialNumber()));
        assertThat(detail.subject()).isEqualTo("CN=datastore.sarathy.io,O=Trellis tests");
        assertThat(detail.issuer()).isEqualTo("Trellis tests");
        assertThat(detail.signatureAlgorithm()).isEqualTo("SHA256WITHRSA");
        assertThat(detail.importedAt()).isBetween(Instant.now().minusSeconds(60), Instant.now().plusSeconds(1));
        assertThat(detail.keyUsages()).extracting(u -> u.name())
                .containsExactly(KeyUsageName.DIGITAL_SIGNATURE, KeyUsageName.KEY_ENCIPHERMENT);
        assertThat(detail.extendedKeyUsages()).extracting(u -> u.name() + " " + u.oid())
                .containsExactly(ExtendedKeyUsageName.TLS_WEB_SERVER_AUTHENTICATION + " 1.3.6.1.5.5.7.3.1");
        assertThat(detail.inUseBy()).isEmpty();
        assertThat(detail.renewalEligibility()).isEqualTo(RenewalEligibility.INELIGIBLE);
    }

    @Test
    void aCertificateWithoutSubjectAlternativeNamesIsNamedByItsCommonName() {
        String arn = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A, "cn-only.sarathy.io"));

        CertificateDetail detail = acm.describeCertificate(r -> r.certificateArn(arn)).certificate();
        assertThat(detail.domainName()).isEqualTo("cn-only.sarathy.io");
        assertThat(detail.subjectAlternativeNames()).containsExactly("cn-only.sarathy.io");
    }

    @Test
    void getCertificateReturnsTheCertificateAndItsChainButNeverTheKey() {
        TestCertificates.Material root = TestCertificates.ca(null, TestCertificates.RSA_CA, "Sarathy Root CA");
        TestCertificates.Material leaf = TestCertificates.issued(root, TestCertificates.RSA_A, "api.sarathy.io",
                "api.sarathy.io");
        String arn = acm.importCertificate(r -> r.certificate(SdkBytes.fromUtf8String(leaf.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(TestCertificates.traditionalPem(leaf.keys())))
                .certificateChain(SdkBytes.fromUtf8String(root.certificatePem()))).certificateArn();

        GetCertificateResponse got = acm.getCertificate(r -> r.certificateArn(arn));

        assertThat(got.certificate()).isEqualTo(leaf.certificatePem());
        assertThat(got.certificateChain()).isEqualTo(root.certificatePem());
        assertThat(got.toString() + got.certificate() + got.certificateChain())
                .doesNotContain("PRIVATE KEY");
        assertThat(acm.describeCertificate(r -> r.certificateArn(arn)).certificate().issuer())
                .isEqualTo("Trellis tests");
    }

    @Test
    void reimportingToAnArnReplacesTheCertificateAndKeepsItsTags() {
        TestCertificates.Material original = TestCertificates.selfSigned(TestCertificates.RSA_A, "old.sarathy.io",
                "old.sarathy.io");
        String arn = acm.importCertificate(r -> r.certificate(SdkBytes.fromUtf8String(original.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(original.privateKeyPem()))
                .tags(Tag.builder().key("team").value("data").build())).certificateArn();
        TestCertificates.Material renewed = TestCertificates.selfSigned(TestCertificates.RSA_B, "new.sarathy.io",
                "new.sarathy.io");

        String again = acm.importCertificate(r -> r.certificateArn(arn)
                .certificate(SdkBytes.fromUtf8String(renewed.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(renewed.privateKeyPem()))).certificateArn();

        assertThat(again).isEqualTo(arn);
        assertThat(acm.describeCertificate(r -> r.certificateArn(arn)).certificate().domainName())
                .isEqualTo("new.sarathy.io");
        assertThat(acm.getCertificate(r -> r.certificateArn(arn)).certificate()).isEqualTo(renewed.certificatePem());
        assertThat(acm.listTagsForCertificate(r -> r.certificateArn(arn)).tags())
                .containsExactly(Tag.builder().key("team").value("data").build());
    }

    @Test
    void reimportKeepsTheKeyTypeAndTakesNoTags() {
        String arn = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A, "keep.sarathy.io"));
        TestCertificates.Material ec = TestCertificates.selfSigned(TestCertificates.EC_P256, "keep.sarathy.io");
        TestCertificates.Material rsa = TestCertificates.selfSigned(TestCertificates.RSA_B, "keep.sarathy.io");

        ValidationException keyType = failure(ValidationException.class, () -> acm.importCertificate(r -> r
                .certificateArn(arn).certificate(SdkBytes.fromUtf8String(ec.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(ec.privateKeyPem()))));
        ValidationException tags = failure(ValidationException.class, () -> acm.importCertificate(r -> r
                .certificateArn(arn).certificate(SdkBytes.fromUtf8String(rsa.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(rsa.privateKeyPem()))
                .tags(Tag.builder().key("k").value("v").build())));
        ResourceNotFoundException missing = failure(ResourceNotFoundException.class, () -> acm.importCertificate(r -> r
                .certificateArn("arn:aws:acm:us-west-2:111122223333:certificate/00000000-0000-0000-0000-000000000000")
                .certificate(SdkBytes.fromUtf8String(rsa.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(rsa.privateKeyPem()))));

        assertThat(keyType.awsErrorDetails().errorMessage()).isEqualTo("The key type and size cannot be changed when"
                + " re-importing: certificate " + arn + " has a RSA_2048 key, the new certificate a EC_prime256v1 key");
        assertThat(tags.awsErrorDetails().errorMessage()).startsWith("Tags cannot be applied when re-importing");
        assertThat(missing.awsErrorDetails().errorMessage()).startsWith("Could not find certificate arn:aws:acm:");
    }

    @Test
    void importsEcKeysInTheirTraditionalForm() {
        TestCertificates.Material ec = TestCertificates.selfSigned(TestCertificates.EC_P256, "ec.sarathy.io",
                "ec.sarathy.io");

        // As `openssl ecparam -name prime256v1 -genkey` writes it: the curve first, then the key.
        String ecParameters = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
        String arn = acm.importCertificate(r -> r.certificate(SdkBytes.fromUtf8String(ec.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(ecParameters + TestCertificates.traditionalPem(ec.keys()))))
                .certificateArn();

        assertThat(acm.describeCertificate(r -> r.certificateArn(arn)).certificate().keyAlgorithm())
                .isEqualTo(KeyAlgorithm.EC_PRIME256_V1);
    }

    @Test
    void refusesAPrivateKeyThatDoesNotMatchTheCertificate() {
        TestCertificates.Material certificate = TestCertificates.selfSigned(TestCertificates.RSA_A,
                "datastore.sarathy.io", "datastore.sarathy.io");
        TestCertificates.Material other = TestCertificates.selfSigned(TestCertificates.RSA_B, "other.sarathy.io");

        ValidationException e = failure(ValidationException.class, () -> acm.importCertificate(r -> r
                .certificate(SdkBytes.fromUtf8String(certificate.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(other.privateKeyPem()))));

        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("The private key does not match the certificate:"
                + " it is not the key of the certificate's public key (RSA_2048)");
    }

    @Test
    void refusesMaterialAcmRefuses() {
        TestCertificates.Material good = TestCertificates.selfSigned(TestCertificates.RSA_A, "good.sarathy.io");
        TestCertificates.Material expired = TestCertificates.selfSignedBetween(TestCertificates.RSA_A,
                Instant.now().minus(Duration.ofDays(30)), Instant.now().minus(Duration.ofDays(1)), "old.sarathy.io");
        TestCertificates.Material root = TestCertificates.ca(null, TestCertificates.RSA_CA, "Some Root");
        TestCertificates.Material otherRoot = TestCertificates.ca(null, TestCertificates.RSA_B, "Other Root");
        TestCertificates.Material leaf = TestCertificates.issued(root, TestCertificates.RSA_A, "leaf.sarathy.io");

        Map<String, ImportCertificateRequest> cases = Map.of(
                "The certificate field contains more than one certificate. You can specify only one certificate in"
                        + " this field; put the issuers in CertificateChain",
                request(good.certificatePem() + root.certificatePem(), good.privateKeyPem(), null),
                "The certificate must be PEM-encoded (-----BEGIN CERTIFICATE----- ...)",
                request("not a certificate", good.privateKeyPem(), null),
                "The private key is encrypted. ACM imports only unencrypted private keys: remove the passphrase"
                        + " (openssl pkey -in key.pem -out plain.pem)",
                request(good.certificatePem(), TestCertificates.encryptedPem(good.keys()), null),
                "The private key must be a PEM-encoded private key (-----BEGIN PRIVATE KEY-----, -----BEGIN RSA"
                        + " PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)",
                request(good.certificatePem(), good.certificatePem(), null),
                "Could not validate the certificate with the certificate chain: the certificate was issued by"
                        + " 'CN=Some Root,O=Trellis tests', but chain certificate 1 is 'CN=Other Root,O=Trellis"
                        + " tests'. Each certificate in the chain must directly certify the one before it",
                request(leaf.certificatePem(), leaf.privateKeyPem(), otherRoot.certificatePem()),
                "The certificate chain must not contain the certificate itself, only its issuers",
                request(leaf.certificatePem(), leaf.privateKeyPem(), leaf.certificatePem()));
        cases.forEach((message, request) -> {
            ValidationException e = failure(ValidationException.class, () -> acm.importCertificate(request));
            assertThat(e.awsErrorDetails().errorMessage()).isEqualTo(message);
        });
        ValidationException late = failure(ValidationException.class, () -> acm.importCertificate(
                request(expired.certificatePem(), expired.privateKeyPem(), null)));
        assertThat(late.awsErrorDetails().errorMessage()).startsWith("The certificate is not valid now: it is valid"
                + " from ");
    }

    private static ImportCertificateRequest request(String certificate, String key, String chain) {
        ImportCertificateRequest.Builder builder = ImportCertificateRequest.builder()
                .certificate(SdkBytes.fromUtf8String(certificate))
                .privateKey(SdkBytes.fromUtf8String(key));
        if (chain != null) {
            builder.certificateChain(SdkBytes.fromUtf8String(chain));
        }
        return builder.build();
    }

    @Test
    void refusesAPrivateKeyLargerThanAcmsLimitBeforeReadingIt() {
        TestCertificates.Material good = TestCertificates.selfSigned(TestCertificates.RSA_A, "good.sarathy.io");

        ValidationException e = failure(ValidationException.class, () -> acm.importCertificate(
                request(good.certificatePem(), "x".repeat(5121), null)));

        assertThat(e.awsErrorDetails().errorMessage())
                .isEqualTo("1 validation error detected: PrivateKey: must be 1-5120 bytes, not 5121");
    }

    // RequestCertificate

    @Test
    void requestCertificateIssuesAtOnceFromTheInternalCaWhoseCertificateIsInCaPem() throws Exception {
        String arn = acm.requestCertificate(r -> r.domainName("datastore.sarathy.io")
                .subjectAlternativeNames("datastore.sarathy.io", "*.datastore.sarathy.io")).certificateArn();

        CertificateDetail detail = acm.describeCertificate(r -> r.certificateArn(arn)).certificate();
        assertThat(detail.status()).isEqualTo(CertificateStatus.ISSUED);
        assertThat(detail.type()).isEqualTo(CertificateType.PRIVATE);
        assertThat(detail.domainName()).isEqualTo("datastore.sarathy.io");
        assertThat(detail.subjectAlternativeNames()).containsExactly("datastore.sarathy.io", "*.datastore.sarathy.io");
        assertThat(detail.keyAlgorithm()).isEqualTo(KeyAlgorithm.RSA_2048);
        assertThat(detail.issuer()).isEqualTo("Trellis");
        assertThat(detail.createdAt()).isEqualTo(detail.issuedAt());
        assertThat(Duration.between(detail.issuedAt(), detail.notAfter()))
                .isBetween(Duration.ofDays(395).minusSeconds(1), Duration.ofDays(395));
        assertThat(detail.extendedKeyUsages()).extracting(u -> u.name()).containsExactly(
                ExtendedKeyUsageName.TLS_WEB_SERVER_AUTHENTICATION, ExtendedKeyUsageName.TLS_WEB_CLIENT_AUTHENTICATION);

        GetCertificateResponse got = acm.getCertificate(r -> r.certificateArn(arn));
        X509Certificate leaf = Pem.parseCertificates(got.certificate()).get(0);
        List<X509Certificate> chain = Pem.parseCertificates(got.certificateChain());
        X509Certificate caPem = Pem.parseCertificates(Files.readString(server.dataDir.resolve("ca.pem"))).get(0);
        assertThat(chain).containsExactly(caPem);
        PKIXParameters trust = new PKIXParameters(Set.of(new TrustAnchor(caPem, null)));
        trust.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                java.security.cert.CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), trust);
    }

    @Test
    void requestCertificateIssuesEcKeysAndRefusesWhatTrellisCannotIssue() {
        String arn = acm.requestCertificate(r -> r.domainName("ec.sarathy.io").keyAlgorithm(KeyAlgorithm.EC_PRIME256_V1))
                .certificateArn();
        assertThat(acm.describeCertificate(r -> r.certificateArn(arn)).certificate().keyAlgorithm())
                .isEqualTo(KeyAlgorithm.EC_PRIME256_V1);

        InvalidParameterException rsa4096 = failure(InvalidParameterException.class, () -> acm.requestCertificate(r -> r
                .domainName("big.sarathy.io").keyAlgorithm(KeyAlgorithm.RSA_4096)));
        InvalidParameterException pca = failure(InvalidParameterException.class, () -> acm.requestCertificate(r -> r
                .domainName("pca.sarathy.io").certificateAuthorityArn(
                        "arn:aws:acm-pca:us-west-2:111122223333:certificate-authority/12345678-1234-1234-1234-123456789012")));
        InvalidParameterException export = failure(InvalidParameterException.class, () -> acm.requestCertificate(r -> r
                .domainName("x.sarathy.io").options(o -> o.export("ENABLED"))));
        ValidationException pattern = failure(ValidationException.class, () -> acm.requestCertificate(r -> r
                .domainName("not a domain")));
        ValidationException tooLong = failure(ValidationException.class, () -> acm.requestCertificate(r -> r
                .domainName("a".repeat(60) + ".sarathy.io")));

        assertThat(rsa4096.awsErrorDetails().errorMessage()).isEqualTo("KeyAlgorithm RSA_4096 cannot be requested;"
                + " ACM issues RSA_2048, EC_prime256v1 or EC_secp384r1 keys");
        assertThat(pca.awsErrorDetails().errorMessage()).startsWith("Trellis has no AWS Private CA to issue from");
        assertThat(export.awsErrorDetails().errorMessage()).startsWith("Exportable certificates are not supported");
        assertThat(pattern.awsErrorDetails().errorMessage()).startsWith("1 validation error detected: DomainName: 'not"
                + " a domain' must match the pattern ");
        assertThat(tooLong.awsErrorDetails().errorMessage()).contains("may have at most 64");
    }

    @Test
    void theSameIdempotencyTokenGivesTheSameCertificate() {
        String token = "token" + System.nanoTime();

        String first = acm.requestCertificate(r -> r.domainName("once.sarathy.io").idempotencyToken(token))
                .certificateArn();
        String second = acm.requestCertificate(r -> r.domainName("once.sarathy.io").idempotencyToken(token))
                .certificateArn();

        assertThat(second).isEqualTo(first);
    }

    @Test
    void aTokenWhoseCertificateWasDeletedIssuesANewOneAndRemembersIt() {
        String token = "token" + System.nanoTime();
        String first = acm.requestCertificate(r -> r.domainName("again.sarathy.io").idempotencyToken(token))
                .certificateArn();
        acm.deleteCertificate(r -> r.certificateArn(first));

        String second = acm.requestCertificate(r -> r.domainName("again.sarathy.io").idempotencyToken(token))
                .certificateArn();
        String third = acm.requestCertificate(r -> r.domainName("again.sarathy.io").idempotencyToken(token))
                .certificateArn();

        assertThat(second).isNotEqualTo(first);
        assertThat(third).isEqualTo(second);
    }

    // ListCertificates

    @Test
    void listsIssuedRsaCertificatesByDefaultAndOtherKeyTypesWhenAsked() {
        String rsa = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A, "rsa.list.sarathy.io"));
        String ec = importCertificate(TestCertificates.selfSigned(TestCertificates.EC_P256, "ec.list.sarathy.io"));

        List<String> byDefault = arns(acm.listCertificates(r -> { }));
        List<String> ecOnly = arns(acm.listCertificates(r -> r.includes(i -> i.keyTypes(KeyAlgorithm.EC_PRIME256_V1))));
        List<String> expired = arns(acm.listCertificates(r -> r.certificateStatuses(CertificateStatus.EXPIRED)));

        assertThat(byDefault).contains(rsa).doesNotContain(ec);
        assertThat(ecOnly).contains(ec).doesNotContain(rsa);
        assertThat(expired).doesNotContain(rsa, ec);
        CertificateSummary summary = acm.listCertificates(r -> { }).certificateSummaryList().stream()
                .filter(s -> s.certificateArn().equals(rsa)).findFirst().orElseThrow();
        assertThat(summary.domainName()).isEqualTo("rsa.list.sarathy.io");
        assertThat(summary.subjectAlternativeNameSummaries()).containsExactly("rsa.list.sarathy.io");
        assertThat(summary.status()).isEqualTo(CertificateStatus.ISSUED);
        assertThat(summary.type()).isEqualTo(CertificateType.IMPORTED);
        assertThat(summary.keyAlgorithm()).isEqualTo(KeyAlgorithm.RSA_2048);
        assertThat(summary.inUse()).isFalse();
        assertThat(summary.notAfter()).isAfter(Instant.now());
    }

    @Test
    void listsPageByPageInCreationOrderAndInReverse() {
        List<String> created = IntStream.range(0, 5).mapToObj(i -> importCertificate(
                TestCertificates.selfSigned(TestCertificates.RSA_A, "page" + i + ".sarathy.io"))).toList();

        List<String> ascending = new ArrayList<>();
        acm.listCertificatesPaginator(r -> r.maxItems(2)).forEach(page -> {
            assertThat(page.certificateSummaryList()).hasSizeLessThanOrEqualTo(2);
            ascending.addAll(arns(page));
        });
        List<String> descending = new ArrayList<>();
        acm.listCertificatesPaginator(r -> r.maxItems(3).sortBy("CREATED_AT").sortOrder("DESCENDING"))
                .forEach(page -> descending.addAll(arns(page)));

        assertThat(ascending.stream().filter(created::contains).toList()).containsExactlyElementsOf(created);
        List<String> reversed = new ArrayList<>(created);
        java.util.Collections.reverse(reversed);
        assertThat(descending.stream().filter(created::contains).toList()).containsExactlyElementsOf(reversed);
        assertThat(ascending).doesNotHaveDuplicates().hasSameSizeAs(descending);
        failure(InvalidArgsException.class, () -> acm.listCertificates(r -> r.nextToken("forged")));
    }

    private static List<String> arns(ListCertificatesResponse page) {
        return page.certificateSummaryList().stream().map(CertificateSummary::certificateArn).toList();
    }

    // DeleteCertificate, tags, errors

    @Test
    void deletesACertificate() {
        String arn = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A, "gone.sarathy.io"));

        acm.deleteCertificate(r -> r.certificateArn(arn));

        ResourceNotFoundException e = failure(ResourceNotFoundException.class,
                () -> acm.describeCertificate(r -> r.certificateArn(arn)));
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Could not find certificate " + arn);
        failure(ResourceNotFoundException.class, () -> acm.deleteCertificate(r -> r.certificateArn(arn)));
        assertThat(arns(acm.listCertificates(r -> { }))).doesNotContain(arn);
    }

    @Test
    void addsListsAndRemovesTags() {
        String arn = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A, "tags.sarathy.io"));

        acm.addTagsToCertificate(r -> r.certificateArn(arn).tags(Tag.builder().key("team").value("data").build(),
                Tag.builder().key("env").value("prod").build(), Tag.builder().key("flag").build()));
        acm.addTagsToCertificate(r -> r.certificateArn(arn).tags(Tag.builder().key("env").value("dev").build()));
        acm.removeTagsFromCertificate(r -> r.certificateArn(arn).tags(Tag.builder().key("team").value("other").build(),
                Tag.builder().key("flag").build()));

        assertThat(acm.listTagsForCertificate(r -> r.certificateArn(arn)).tags()).containsExactly(
                Tag.builder().key("team").value("data").build(), Tag.builder().key("env").value("dev").build());
        InvalidTagException reserved = failure(InvalidTagException.class, () -> acm.addTagsToCertificate(r -> r
                .certificateArn(arn).tags(Tag.builder().key("aws:owner").value("x").build())));
        assertThat(reserved.awsErrorDetails().errorMessage()).contains("the prefix 'aws:' is reserved for AWS");
        List<Tag> many = IntStream.range(0, 49).mapToObj(i -> Tag.builder().key("k" + i).value("v").build()).toList();
        failure(TooManyTagsException.class, () -> acm.addTagsToCertificate(r -> r.certificateArn(arn).tags(many)));
    }

    @Test
    void namesTheRuleABadArnBreaks() {
        InvalidArnException otherRegion = failure(InvalidArnException.class, () -> acm.describeCertificate(r -> r
                .certificateArn("arn:aws:acm:us-east-1:111122223333:certificate/12345678-1234-1234-1234-123456789012")));
        InvalidArnException notACertificate = failure(InvalidArnException.class, () -> acm.getCertificate(r -> r
                .certificateArn("arn:aws:acm:us-west-2:111122223333:thing/12345678")));
        ValidationException tooShort = failure(ValidationException.class, () -> acm.describeCertificate(r -> r
                .certificateArn("arn:aws:acm")));
        ResourceNotFoundException otherAccount = failure(ResourceNotFoundException.class, () -> acm.describeCertificate(
                r -> r.certificateArn("arn:aws:acm:us-west-2:999988887777:certificate/"
                        + "12345678-1234-1234-1234-123456789012")));

        assertThat(otherRegion.awsErrorDetails().errorMessage()).isEqualTo("'arn:aws:acm:us-east-1:111122223333:"
                + "certificate/12345678-1234-1234-1234-123456789012' is not a valid certificate ARN here: expected"
                + " arn:aws:acm:us-west-2:<account>:certificate/<id>");
        assertThat(notACertificate.awsErrorDetails().errorCode()).isEqualTo("InvalidArnException");
        assertThat(tooShort.awsErrorDetails().errorMessage()).startsWith("1 validation error detected: CertificateArn:"
                + " length must be 20-2048 characters");
        assertThat(otherAccount.awsErrorDetails().errorCode()).isEqualTo("ResourceNotFoundException");
    }

    @Test
    void operationsTrellisDoesNotServeSaySo() {
        String arn = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A, "export.sarathy.io"));

        ValidationException e = failure(ValidationException.class, () -> acm.exportCertificate(r -> r
                .certificateArn(arn).passphrase(SdkBytes.fromUtf8String("passphrase"))));

        assertThat(e.awsErrorDetails().errorMessage())
                .isEqualTo("ExportCertificate is not supported by Trellis (see docs/api-acm.md)");
    }

    @Test
    void aCallerWithoutAcmPermissionsIsDeniedNamingTheActionAndCertificate() {
        String arn = importCertificate(TestCertificates.selfSigned(TestCertificates.RSA_A, "denied.sarathy.io"));
        IdentityDirectory directory = new IdentityDirectory(server.controlPlane.store(),
                ControlPlaneConfig.defaults(RunningControlPlane.REGION, RunningControlPlane.ACCOUNT), Clock.systemUTC());
        IdentityDirectory.AccessKey reader = directory.createUserWithAccessKey("acm-reader-" + storeKind, Map.of(
                "list-only", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                        + "\"Action\":\"acm:List*\",\"Resource\":\"*\"}]}"));
        AcmClient limited = server.acm(reader.accessKeyId(), reader.secretAccessKey());

        assertThat(limited.listCertificates(r -> { }).certificateSummaryList()).isNotEmpty();
        AcmException e = catchThrowableOfType(AcmException.class,
                () -> limited.describeCertificate(r -> r.certificateArn(arn)));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("User: arn:aws:iam::111122223333:user/acm-reader-"
                + storeKind + " is not authorized to perform: acm:DescribeCertificate on resource: " + arn
                + " because no identity-based policy allows the acm:DescribeCertificate action");
    }

    @Test
    void anUnsignedAcmCallIsAnsweredInJson11() throws Exception {
        HttpResponse<String> unsigned = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(server.controlPlane.endpoint() + "/"))
                .header("X-Amz-Target", "CertificateManager.ListCertificates")
                .header("Content-Type", "application/x-amz-json-1.1")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(unsigned.statusCode()).isEqualTo(400);
        assertThat(unsigned.headers().firstValue("Content-Type")).contains("application/x-amz-json-1.1");
        assertThat(unsigned.body()).startsWith("{\"__type\":\"MissingAuthenticationTokenException\",\"message\":");
    }

    // Private keys at rest

    @Test
    void privateKeysAreStoredEncryptedAndOnlyTheMasterKeyOpensThem() {
        TestCertificates.Material material = TestCertificates.selfSigned(TestCertificates.RSA_A,
                "secret.sarathy.io", "secret.sarathy.io");
        String arn = importCertificate(material);
        String requested = acm.requestCertificate(r -> r.domainName("secret2.sarathy.io")).certificateArn();

        StoredResource row = server.controlPlane.store().read(tx -> tx.getByArn(arn)).orElseThrow();
        String stored = row.document().toString();
        String keyBody = material.privateKeyPem().lines().filter(l -> !l.startsWith("-----"))
                .reduce("", String::concat);
        assertThat(stored).doesNotContain("PRIVATE KEY");
        for (String line : material.privateKeyPem().lines().filter(l -> !l.startsWith("-----")).toList()) {
            assertThat(stored).doesNotContain(line);
        }
        assertThat(stored).doesNotContain(keyBody.substring(0, 40));
        assertThat(row.document().get("_privateKey").asText()).startsWith("v1.");

        MasterKey masterKey = MasterKey.load(server.dataDir, Map.of());
        assertThat(CertificateRecords.privateKey(row, masterKey)).isEqualTo(material.keys().getPrivate());
        StoredResource requestedRow = server.controlPlane.store().read(tx -> tx.getByArn(requested)).orElseThrow();
        assertThat(requestedRow.document().toString()).doesNotContain("PRIVATE KEY");
        assertThat(CertificateRecords.privateKey(requestedRow, masterKey).getAlgorithm()).isEqualTo("RSA");
        MasterKey another = MasterKey.generate();
        assertThat(catchThrowableOfType(MasterKey.WrongMasterKeyException.class,
                () -> CertificateRecords.privateKey(row, another))).hasMessageContaining("was encrypted with master key "
                + masterKey.fingerprint());
    }

    @Test
    void theFirstStartWritesAWorldReadableCaCertificateAndAnOwnerOnlyMasterKey() throws IOException {
        Path ca = server.dataDir.resolve("ca.pem");
        Path key = server.dataDir.resolve("master.key");

        assertThat(Files.readString(ca)).isEqualTo(server.controlPlane.internalCa().certificatePem());
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(ca)))
                .isEqualTo("rw-r--r--");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                .isEqualTo("rw-------");
    }
}
