package dev.trellis.controller.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The injector follows its certificate as Kubernetes rotates a mounted Secret: the files are reached through the
 * {@code ..data} symlink the kubelet swaps atomically to a new timestamped directory. A real HTTPS client, with a new
 * connection and TLS session each time, sees the first certificate, then the second after a swap; a swap to a broken
 * pair (a key of another certificate, a half-written certificate) keeps the second; the next good swap is taken. Also:
 * an EC key in SEC1 form (cert-manager's ECDSA keys), and a mismatched pair refused at start.
 */
class CertificateRotationTest {

    /** Short, so the test does not wait; the injector's own is {@link ReloadingCertificate#DEFAULT_INTERVAL}. */
    private static final Duration CHECK_EVERY = Duration.ofMillis(100);

    @TempDir
    Path mount;

    private InjectorServer server;
    private int generation;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void newConnectionsGetTheCertificateTheSecretNowHoldsAndABrokenSwapKeepsTheLastGoodOne() throws Exception {
        Identity first = Identity.rsa("injector-first");
        Identity second = Identity.ec("injector-second");
        Identity third = Identity.rsa("injector-third");
        swapTo(first.certificatePem(), first.keyPem());
        List<X509Certificate> trusted = List.of(first.certificate(), second.certificate(), third.certificate());

        InjectorConfig config = InjectorConfig.defaults(mount.resolve("tls.crt"), mount.resolve("tls.key"))
                .withListen("127.0.0.1", 0);
        server = InjectorServer.start(config, new SidecarInjector(config, ns -> Map.of()), CHECK_EVERY);
        assertThat(presented(trusted)).isEqualTo(first.certificate());

        swapTo(second.certificatePem(), second.keyPem());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(presented(trusted)).isEqualTo(second.certificate()));

        // the third certificate with the second's key: refused, the second stays
        swapTo(third.certificatePem(), second.keyPem());
        await().atMost(Duration.ofSeconds(10)).until(() -> server.certificate().refusals() == 1);
        assertThat(presented(trusted)).isEqualTo(second.certificate());

        // a half-written certificate: refused too
        String pem = third.certificatePem();
        swapTo(pem.substring(0, pem.length() / 2), third.keyPem());
        await().atMost(Duration.ofSeconds(10)).until(() -> server.certificate().refusals() == 2);
        assertThat(presented(trusted)).isEqualTo(second.certificate());
        assertThat(server.certificate().check()).as("unchanged bad contents are not loaded again").isFalse();
        assertThat(server.certificate().refusals()).isEqualTo(2);

        // the next good swap is taken
        swapTo(third.certificatePem(), third.keyPem());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(presented(trusted)).isEqualTo(third.certificate()));
        assertThat(server.certificate().refusals()).isEqualTo(2);
    }

    @Test
    void anEcKeyInSec1FormAsCertManagerWritesItServesAfterARotation() throws Exception {
        Identity first = Identity.rsa("injector-first");
        Identity ec = Identity.ec("injector-ec");
        swapTo(first.certificatePem(), first.keyPem());
        InjectorConfig config = InjectorConfig.defaults(mount.resolve("tls.crt"), mount.resolve("tls.key"))
                .withListen("127.0.0.1", 0);
        server = InjectorServer.start(config, new SidecarInjector(config, ns -> Map.of()), CHECK_EVERY);

        String sec1 = ec.sec1KeyPem();
        assertThat(sec1).startsWith("-----BEGIN EC PRIVATE KEY-----");
        swapTo(ec.certificatePem(), sec1);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(presented(List.of(first.certificate(), ec.certificate()))).isEqualTo(ec.certificate()));
        assertThat(server.certificate().refusals()).isZero();
    }

    @Test
    void aKeyOfAnotherCertificateFailsTheStartNamingBothFiles() throws Exception {
        Identity first = Identity.rsa("injector-first");
        Identity second = Identity.rsa("injector-second");
        Path certificate = Files.writeString(mount.resolve("a.crt"), first.certificatePem());
        Path key = Files.writeString(mount.resolve("b.key"), second.keyPem());
        InjectorConfig config = InjectorConfig.defaults(certificate, key).withListen("127.0.0.1", 0);
        assertThatThrownBy(() -> InjectorServer.start(config, new SidecarInjector(config, ns -> Map.of())))
                .isInstanceOf(IOException.class)
                .hasMessage("the key in " + key + " does not belong to the certificate in " + certificate
                        + " (CN=injector-first)");
    }

    /**
     * Does what the kubelet's atomic writer does for a Secret volume: the files go into a new {@code ..<timestamp>}
     * directory, a {@code ..data_tmp} symlink to it is renamed over {@code ..data} (rename is atomic), the old directory
     * is removed; {@code tls.crt} and {@code tls.key} are symlinks through {@code ..data} made once.
     */
    private void swapTo(String certificatePem, String keyPem) throws IOException {
        Path fresh = mount.resolve("..2026_11_27_00_00_00." + (++generation));
        Files.createDirectory(fresh);
        Files.writeString(fresh.resolve("tls.crt"), certificatePem);
        Files.writeString(fresh.resolve("tls.key"), keyPem);
        Path data = mount.resolve("..data");
        Path previous = Files.isSymbolicLink(data) ? mount.resolve(Files.readSymbolicLink(data)) : null;
        Path temporary = mount.resolve("..data_tmp");
        Files.createSymbolicLink(temporary, fresh.getFileName());
        Files.move(temporary, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (previous == null) {
            Files.createSymbolicLink(mount.resolve("tls.crt"), Path.of("..data/tls.crt"));
            Files.createSymbolicLink(mount.resolve("tls.key"), Path.of("..data/tls.key"));
        } else {
            Files.delete(previous.resolve("tls.crt"));
            Files.delete(previous.resolve("tls.key"));
            Files.delete(previous);
        }
    }

    /** The certificate the injector presents to a new client (a new connection and TLS session). */
    private X509Certificate presented(List<X509Certificate> trusted) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(trusting(trusted)).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create("https://localhost:"
                + server.address().getPort() + InjectorServer.HEALTH_PATH)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        Certificate[] chain = health.sslSession().orElseThrow().getPeerCertificates();
        return (X509Certificate) chain[0];
    }

    private static SSLContext trusting(List<X509Certificate> certificates) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        for (int i = 0; i < certificates.size(); i++) {
            trust.setCertificateEntry("injector-" + i, certificates.get(i));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /** A self-signed certificate for localhost and its key, as PEM the way cert-manager writes them. */
    private record Identity(X509Certificate certificate, KeyPair keys) {

        static Identity rsa(String name) throws Exception {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return make(name, generator.generateKeyPair(), "SHA256withRSA");
        }

        static Identity ec(String name) throws Exception {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return make(name, generator.generateKeyPair(), "SHA256withECDSA");
        }

        private static Identity make(String name, KeyPair keys, String algorithm) throws Exception {
            X500Name subject = new X500Name("CN=" + name);
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    BigInteger.valueOf(now.toEpochMilli()).add(BigInteger.valueOf(name.hashCode() & 0xffff)),
                    Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                    new GeneralName(GeneralName.dNSName, "localhost")));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(builder.build(
                    new JcaContentSignerBuilder(algorithm).build(keys.getPrivate())));
            return new Identity(certificate, keys);
        }

        String certificatePem() throws IOException {
            return pem(certificate);
        }

        /** PKCS#1 for RSA ("RSA PRIVATE KEY", cert-manager's default), PKCS#8 for EC ("PRIVATE KEY", openssl 3's). */
        String keyPem() throws IOException {
            if ("RSA".equals(keys.getPrivate().getAlgorithm())) {
                return pem(keys.getPrivate());
            }
            return "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(
                            keys.getPrivate().getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
        }

        /**
         * SEC1 as openssl and cert-manager (Go's MarshalECPrivateKey) write it: the curve named in [0] and the public
         * key in [1]. (BouncyCastle's writer, given a JDK key, leaves the curve out, and such a key cannot be read.)
         */
        String sec1KeyPem() throws IOException {
            java.security.interfaces.ECPrivateKey key = (java.security.interfaces.ECPrivateKey) keys.getPrivate();
            org.bouncycastle.asn1.x509.SubjectPublicKeyInfo publicKey =
                    org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
            org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, key.getS(),
                    publicKey.getPublicKeyData(), org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1);
            return pem(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1.getEncoded()));
        }

        static String pem(Object object) throws IOException {
            StringWriter out = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
                writer.writeObject(object);
            }
            return out.toString();
        }
    }
}
