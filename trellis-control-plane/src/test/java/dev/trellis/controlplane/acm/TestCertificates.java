package dev.trellis.controlplane.acm;

import dev.trellis.controlplane.pki.KeyType;
import dev.trellis.controlplane.pki.Pem;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
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
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates for tests, made with Bouncy Castle the way a user's own CA (or openssl) makes them. Key pairs are
 * generated once per JVM: RSA 2048 generation is slow.
 */
final class TestCertificates {

    static final KeyPair RSA_A = KeyType.RSA_2048.generate();
    static final KeyPair RSA_B = KeyType.RSA_2048.generate();
    static final KeyPair RSA_CA = KeyType.RSA_2048.generate();
    static final KeyPair EC_P256 = KeyType.EC_P256.generate();

    private static final AtomicLong SERIALS = new AtomicLong(System.nanoTime());

    private TestCertificates() {
    }

    /** A certificate, the key pair it certifies, and their PEM texts. */
    record Material(X509Certificate certificate, KeyPair keys) {
        String certificatePem() {
            return Pem.certificate(certificate);
        }

        /** Unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}). */
        String privateKeyPem() {
            return Pem.privateKey(keys.getPrivate());
        }
    }

    /** A server certificate signed by its own key, valid from yesterday for a year. */
    static Material selfSigned(KeyPair keys, String commonName, String... dnsNames) {
        Instant now = Instant.now();
        return issue(null, keys, commonName, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)),
                false, dnsNames);
    }

    /** A server certificate signed by {@code issuer}. */
    static Material issued(Material issuer, KeyPair keys, String commonName, String... dnsNames) {
        Instant now = Instant.now();
        return issue(issuer, keys, commonName, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)),
                false, dnsNames);
    }

    /** A CA certificate, self-signed when {@code issuer} is null. */
    static Material ca(Material issuer, KeyPair keys, String commonName) {
        Instant now = Instant.now();
        return issue(issuer, keys, commonName, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(3650)),
                true);
    }

    /** A server certificate valid only between {@code from} and {@code to}. */
    static Material selfSignedBetween(KeyPair keys, Instant from, Instant to, String commonName) {
        return issue(null, keys, commonName, from, to, false, commonName);
    }

    private static Material issue(Material issuer, KeyPair keys, String commonName, Instant from, Instant to,
                                  boolean ca, String... dnsNames) {
        X500Name subject = new X500Name(commonName == null ? "O=Trellis tests" : "O=Trellis tests,CN="
                + commonName);
        X500Name issuerName = issuer == null ? subject
                : X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
        KeyPair signer = issuer == null ? keys : issuer.keys();
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
                    BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(from.truncatedTo(ChronoUnit.SECONDS)),
                    Date.from(to.truncatedTo(ChronoUnit.SECONDS)), subject, keys.getPublic());
            if (ca) {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
            } else {
                builder.addExtension(Extension.keyUsage, true,
                                new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                        .addExtension(Extension.extendedKeyUsage, false,
                                new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            }
            if (dnsNames.length > 0) {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(Arrays.stream(dnsNames)
                        .map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new)));
            }
            String algorithm = signer.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA"
                    : "SHA256withECDSA";
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(algorithm).build(signer.getPrivate())));
            return new Material(certificate, keys);
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The traditional OpenSSL form of a key: {@code BEGIN RSA PRIVATE KEY} (PKCS#1), or {@code BEGIN EC PRIVATE KEY}
     * (SEC1, with the curve named and no public key, as {@code openssl ec -no_public} writes it).
     */
    static String traditionalPem(KeyPair keys) {
        if (keys.getPrivate().getAlgorithm().equals("EC")) {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
            try {
                ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
                return Pem.encode("EC PRIVATE KEY", new ECPrivateKey(256, inner.getKey(),
                        info.getPrivateKeyAlgorithm().getParameters()).getEncoded());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(keys.getPrivate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** The key protected by a passphrase, as {@code openssl rsa -aes128} writes it. */
    static String encryptedPem(KeyPair keys) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(keys.getPrivate(), new JcePEMEncryptorBuilder("AES-128-CBC")
                    .setProvider(new BouncyCastleProvider()).build("passphrase".toCharArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
