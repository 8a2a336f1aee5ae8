package dev.trellis.controlplane.pki;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.store.Store;
import dev.trellis.controlplane.store.StoredResource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trellis's internal certificate authority: one self-signed root (EC P-256, ten years) per control plane, created
 * on the first start and kept in the store with its private key sealed by the {@link MasterKey}. It issues the
 * certificates ACM's RequestCertificate returns and, later, the gateways' certificates for generated service names.
 * Its certificate is public: clients trust Trellis-issued certificates by trusting it ({@code <data-dir>/ca.pem}).
 *
 * <p>Thread-safe and immutable once loaded.
 */
public final class InternalCa {

    private static final Logger log = LoggerFactory.getLogger(InternalCa.class);

    /** The store kind of the CA's record. */
    public static final String STORE_KIND = "trellis-ca";
    static final String ID = "internal";
    /** The root's lifetime. Leaf certificates never outlive it. */
    public static final Duration ROOT_VALIDITY = Duration.ofDays(3650);
    /** How far back validity starts, so clients whose clocks are a little behind accept a new certificate. */
    static final Duration BACKDATE = Duration.ofMinutes(5);
    /** The name of the file ControlPlane writes the CA's certificate to in the data directory. */
    public static final String CERTIFICATE_FILE = "ca.pem";

    private static final KeyType ROOT_KEY_TYPE = KeyType.EC_P256;
    /** A DNS name or a one-level wildcard (`*.example.com`): labels of letters, digits and '-', 1-63 each. */
    private static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    /** X.509's upper bound for a common name (RFC 5280 ub-common-name). */
    private static final int MAX_COMMON_NAME = 64;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final Clock clock;

    private InternalCa(X509Certificate certificate, PrivateKey privateKey, Clock clock) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.clock = clock;
    }

    /**
     * The store's CA, created when the store has none. Creation runs in one write transaction, so replicas
     * starting together over one PostgreSQL database end up with the same CA.
     *
     * @throws MasterKey.WrongMasterKeyException when the stored CA key was sealed with another master key
     */
    public static InternalCa loadOrCreate(Store store, MasterKey masterKey, ControlPlaneConfig config, Clock clock) {
        String arn = "arn:" + config.partition() + ":trellis:" + config.region() + ":" + config.accountId()
                + ":ca/" + ID;
        StoredResource record = store.read(tx -> tx.get(STORE_KIND, ID)).orElse(null);
        if (record == null) {
            KeyPair keys = ROOT_KEY_TYPE.generate();
            X509Certificate root = selfSigned(keys, clock.instant());
            ObjectNode document = JsonNodeFactory.instance.objectNode()
                    .put("certificate", Pem.certificate(root))
                    .put("keyAlgorithm", ROOT_KEY_TYPE.acmName())
                    .put("createdAt", clock.instant().truncatedTo(ChronoUnit.MILLIS).toString())
                    .put("_privateKey", masterKey.seal(keys.getPrivate().getEncoded(), arn));
            record = store.write(tx -> tx.get(STORE_KIND, ID).orElseGet(() -> {
                log.info("created the internal CA '{}' (valid until {})", root.getSubjectX500Principal().getName(),
                        root.getNotAfter().toInstant());
                return tx.insert(StoredResource.create(STORE_KIND, ID, arn, config.accountId(), null, null,
                        document));
            }));
        }
        return load(record, masterKey, clock);
    }

    /**
     * The CA certificate a store holds, read without the master key (it is public): what a {@code trellis ca}
     * command prints without starting a server. Empty before the first start.
     */
    public static Optional<X509Certificate> storedCertificate(Store store) {
        return store.read(tx -> tx.get(STORE_KIND, ID)).map(record -> {
            try {
                return Pem.parseCertificates(record.document().get("certificate").asText()).get(0);
            } catch (CertificateException e) {
                throw new IllegalStateException("the stored internal CA certificate cannot be read", e);
            }
        });
    }

    private static InternalCa load(StoredResource record, MasterKey masterKey, Clock clock) {
        try {
            X509Certificate root = Pem.parseCertificates(record.document().get("certificate").asText()).get(0);
            byte[] der = masterKey.open(record.document().get("_privateKey").asText(), record.arn());
            PrivateKey key = Pem.pkcs8(der, root.getPublicKey().getAlgorithm());
            if (!matches(key, root.getPublicKey())) {
                throw new IllegalStateException("the stored internal CA's private key does not match its certificate");
            }
            return new InternalCa(root, key, clock);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the stored internal CA cannot be read: " + e.getMessage(), e);
        }
    }

    /** The CA's certificate: the trust anchor of every certificate it issues. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The CA's certificate as PEM (for {@code ca.pem} and a {@code trellis ca} command). */
    public String certificatePem() {
        return Pem.certificate(certificate);
    }

    /** Writes the CA's certificate to {@code file}, readable by everyone (it is public). */
    public void writeCertificate(Path file) {
        try {
            Path temporary = Files.createTempFile(file.toAbsolutePath().getParent(), ".ca", ".pem");
            Files.writeString(temporary, certificatePem(), StandardCharsets.US_ASCII);
            try {
                Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the default permissions stand
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the CA certificate to " + file, e);
        }
    }

    /**
     * Issues a TLS server (and client) certificate for {@code names}, with a new key of {@code keyType}. The first
     * name is also the subject's common name when it fits (64 characters); otherwise the subject is empty and the
     * SAN extension critical (RFC 5280 §4.2.1.6). Validity starts five minutes ago and ends
     * after {@code validity}, or when the CA's own certificate ends, whichever comes first.
     *
     * @param names DNS names or one-level wildcards ({@code *.example.com}); at least one, duplicates ignored
     * @throws IllegalArgumentException for an empty list or a name that is not a DNS name
     */
    public IssuedCertificate issue(List<String> names, Duration validity, KeyType keyType) {
        checkRequest(names, validity);
        KeyPair keys = keyType.generate();
        return new IssuedCertificate(certify(keys.getPublic(), names, validity), keys.getPrivate(),
                List.of(certificate));
    }

    /**
     * Certifies a public key someone else holds the private key of (a gateway's, at registration), with the same
     * profile as {@link #issue}: serverAuth and clientAuth, the names as DNS SANs, the first one as the common name
     * when it fits.
     *
     * @param publicKey an EC or RSA public key
     * @throws IllegalArgumentException for an empty list, a name that is not a DNS name, or another key algorithm
     */
    public X509Certificate certify(PublicKey publicKey, List<String> names, Duration validity) {
        checkRequest(names, validity);
        boolean rsa = switch (publicKey.getAlgorithm()) {
            case "RSA" -> true;
            case "EC" -> false;
            default -> throw new IllegalArgumentException("the key must be EC or RSA, not "
                    + publicKey.getAlgorithm());
        };
        List<String> unique = names.stream().distinct().toList();
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = now.plus(validity);
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            notAfter = certificate.getNotAfter().toInstant();
        }
        String first = unique.get(0);
        X500Name subject = first.length() <= MAX_COMMON_NAME
                ? new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, first).build()
                : new X500Name(new org.bouncycastle.asn1.x500.RDN[0]);
        GeneralName[] sans = unique.stream().map(n -> new GeneralName(GeneralName.dNSName, n))
                .toArray(GeneralName[]::new);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(notAfter), subject, publicKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(rsa
                            ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment
                            : KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, first.length() > MAX_COMMON_NAME,
                            new GeneralNames(sans))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(publicKey))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            extensions.createAuthorityKeyIdentifier(certificate.getPublicKey()));
            return sign(builder, privateKey, ROOT_KEY_TYPE);
        } catch (CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a certificate for " + unique, e);
        }
    }

    private static void checkRequest(List<String> names, Duration validity) {
        List<String> unique = names.stream().distinct().toList();
        if (unique.isEmpty()) {
            throw new IllegalArgumentException("a certificate needs at least one name");
        }
        for (String name : unique) {
            if (name.length() > 253 || !DNS_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("'" + name + "' is not a DNS name or a one-level wildcard");
            }
        }
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive, not " + validity);
        }
    }

    private static X509Certificate selfSigned(KeyPair keys, Instant now) {
        byte[] suffix = new byte[4];
        RANDOM.nextBytes(suffix);
        // A random suffix keeps the roots of two installations apart in a client that trusts both.
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Trellis")
                .addRDN(BCStyle.CN, "Trellis internal CA " + HexFormat.of().formatHex(suffix))
                .build();
        Instant start = now.truncatedTo(ChronoUnit.SECONDS);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(start.minus(BACKDATE)), Date.from(start.plus(ROOT_VALIDITY)), name, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(keys.getPublic()));
            return sign(builder, keys.getPrivate(), ROOT_KEY_TYPE);
        } catch (CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot create the internal CA", e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key, KeyType keyType)
            throws CertificateException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(keyType.signatureAlgorithm()).build(key)));
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot sign with " + keyType.signatureAlgorithm(), e);
        }
    }

    /** A random positive serial number of 127 bits (RFC 5280 asks for at most 20 octets, CA/B for ≥ 64 bits). */
    private static BigInteger serial() {
        BigInteger serial;
        do {
            serial = new BigInteger(127, RANDOM);
        } while (serial.signum() == 0);
        return serial;
    }

    /** Whether {@code privateKey} belongs to {@code publicKey}: a signature made with one verifies with the other. */
    public static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
        String algorithm = switch (publicKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> null;
        };
        if (algorithm == null || !privateKey.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "InternalCa[" + certificate.getSubjectX500Principal().getName() + "]";
    }
}
