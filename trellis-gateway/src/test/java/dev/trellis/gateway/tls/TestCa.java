package dev.trellis.gateway.tls;

import dev.trellis.model.snapshot.CertificateEntry;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test CA shaped like the control plane's internal CA (EC P-256 root) issuing RSA 2048 server certificates, as
 * the managed certificate of the generated names and ACM certificates for custom domains are. Gives snapshot
 * entries, a client {@link SSLContext} trusting it, and its {@code ca.pem} for openssl and curl.
 */
public final class TestCa {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyPair keys;
    private final X509Certificate certificate;

    public TestCa(String name) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        keys = generator.generateKeyPair();
        X500Name subject = new X500Name("CN=" + name);
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(365))), subject,
                keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        certificate = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }

    /** An RSA 2048 certificate for {@code names} as a snapshot entry ({@code arn} null: the managed one). */
    public CertificateEntry issue(String arn, String... names) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair leafKeys = generator.generateKeyPair();
        Instant now = Instant.now();
        Instant notAfter = now.plus(Duration.ofDays(30));
        GeneralName[] sans = new GeneralName[names.length];
        for (int i = 0; i < names.length; i++) {
            sans[i] = new GeneralName(GeneralName.dNSName, names[i]);
        }
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                new X500Name(certificate.getSubjectX500Principal().getName()), serial(),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(notAfter),
                new X500Name("CN=" + (names[0].length() <= 64 ? names[0] : "trellis")), leafKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                .addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
        X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        return new CertificateEntry(arn, List.of(names), pem("CERTIFICATE", leaf.getEncoded())
                + pem("CERTIFICATE", certificate.getEncoded()), pem("PRIVATE KEY", leafKeys.getPrivate().getEncoded()),
                notAfter);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** A client context that trusts this CA only. */
    public SSLContext clientContext() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", certificate);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), RANDOM);
        return context;
    }

    /** Writes {@code ca.pem} into {@code dir}. */
    public Path writePem(Path dir) throws Exception {
        return Files.writeString(dir.resolve("ca.pem"), pem("CERTIFICATE", certificate.getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }
}
