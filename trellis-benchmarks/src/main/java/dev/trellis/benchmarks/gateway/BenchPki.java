package dev.trellis.benchmarks.gateway;

import dev.trellis.gateway.fabric.FabricIdentity;
import dev.trellis.gateway.fabric.FabricTls;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
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
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificates the wrk harness needs, made fresh for each run: a CA (EC P-256, like Trellis's internal CA),
 * the HTTPS scenarios' server certificate for the datastore's generated name (RSA 2048, like the managed
 * certificate a gateway presents for generated names; the same file is given to nginx and to the gateway), and the
 * two fabric gateways' certificates (EC P-256, 7 days, EKU serverAuth + clientAuth, SAN
 * {@code <vpcId>.gateway.trellis.internal}, as the registration API issues them).
 */
public final class BenchPki {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A certificate, its PKCS#8 key and the CA that signed it, all as PEM. */
    public record Issued(String certificatePem, String privateKeyPem, String caPem) {

        /** As fabric material ({@link FabricTls#create}). */
        public FabricIdentity fabricIdentity() {
            return new FabricIdentity(certificatePem, privateKeyPem, caPem);
        }

        /** Writes {@code <prefix>.crt}, {@code <prefix>.key} and {@code <prefix>-ca.crt} into {@code dir}. */
        public PemFiles write(Path dir, String prefix) throws IOException {
            Files.createDirectories(dir);
            Path certificate = Files.writeString(dir.resolve(prefix + ".crt"), certificatePem);
            Path key = Files.writeString(dir.resolve(prefix + ".key"), privateKeyPem);
            Path ca = Files.writeString(dir.resolve(prefix + "-ca.crt"), caPem);
            return new PemFiles(certificate, key, ca);
        }

        /** Reads what {@link #write} wrote. */
        public static Issued read(Path certificate, Path key, Path ca) throws IOException {
            return new Issued(Files.readString(certificate), Files.readString(key), Files.readString(ca));
        }

        /** The three files of an issued certificate. */
        public record PemFiles(Path certificate, Path key, Path ca) {
        }
    }

    private final KeyPair caKeys;
    private final X509Certificate ca;
    private final String caPem;

    private BenchPki() throws GeneralSecurityException, OperatorCreationException {
        caKeys = keys("EC");
        X500Name name = new X500Name("CN=Trellis benchmark CA");
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(30))), name,
                caKeys.getPublic());
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        ca = new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
        caPem = pem("CERTIFICATE", ca.getEncoded());
    }

    /** A new CA. */
    public static BenchPki create() {
        try {
            return new BenchPki();
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the benchmark CA: " + e.getMessage(), e);
        }
    }

    /** An RSA 2048 server certificate for {@code dnsName} (SAN), valid 30 days, EKU serverAuth. */
    public Issued server(String dnsName) {
        return issue(dnsName, "RSA", Duration.ofDays(30), KeyPurposeId.id_kp_serverAuth);
    }

    /** A fabric certificate for the gateway of {@code vpcId}, valid 7 days, EKU serverAuth + clientAuth. */
    public Issued gateway(String vpcId) {
        return issue(FabricTls.gatewayName(vpcId), "EC", Duration.ofDays(7), KeyPurposeId.id_kp_serverAuth,
                KeyPurposeId.id_kp_clientAuth);
    }

    private Issued issue(String dnsName, String algorithm, Duration validity, KeyPurposeId... purposes) {
        try {
            KeyPair keys = keys(algorithm);
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca, serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)),
                    subject(dnsName), keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(algorithm.equals("RSA")
                    ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(builder.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
            PrivateKey key = keys.getPrivate();
            return new Issued(pem("CERTIFICATE", certificate.getEncoded()), pem("PRIVATE KEY", key.getEncoded()),
                    caPem);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + dnsName + ": " + e.getMessage(), e);
        }
    }

    /**
     * The subject: CN = the name when it fits X.520's 64 characters, else its first label (generated names are
     * 69 characters; clients check the SAN, which always carries the whole name).
     */
    private static X500Name subject(String dnsName) {
        String cn = dnsName.length() <= 64 ? dnsName : dnsName.substring(0, dnsName.indexOf('.'));
        return new X500Name("CN=" + cn);
    }

    private static KeyPair keys(String algorithm) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        if (algorithm.equals("RSA")) {
            generator.initialize(2048, RANDOM);
        } else {
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        }
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(64, RANDOM).add(BigInteger.ONE);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
