package dev.trellis.gateway.tls;

import dev.trellis.model.snapshot.CertificateEntry;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * One certificate an HTTPS listener presents, parsed and checked once: its chain, the names it covers, and the
 * {@link SslContext} (the {@link TlsPolicy}) that handshakes with it. Built on the thread that swaps snapshots,
 * never on an event loop; reused across snapshots while the certificate and key are unchanged
 * ({@link #fingerprint}), so a swap that re-imports one certificate does not rebuild the others.
 *
 * <p>The private key lives only inside the SSL context; {@link #toString} names the certificate, never the key.
 */
public final class ServerCertificate {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String arn;
    private final List<String> names;
    private final X509Certificate leaf;
    private final SslContext sslContext;
    private final String fingerprint;

    private ServerCertificate(String arn, List<String> names, X509Certificate leaf, SslContext sslContext,
                              String fingerprint) {
        this.arn = arn;
        this.names = names;
        this.leaf = leaf;
        this.sslContext = sslContext;
        this.fingerprint = fingerprint;
    }

    /**
     * Parses and checks a snapshot's certificate entry and builds its SSL context.
     *
     * @throws IllegalArgumentException when the chain or key does not parse, the key does not belong to the leaf
     *     certificate, or the entry names no domain; the message never contains key material
     */
    public static ServerCertificate of(CertificateEntry entry) {
        String what = entry.arn() == null ? "the certificate of the generated names" : "certificate " + entry.arn();
        List<X509Certificate> chain = parseChain(entry.certificateChainPem(), what);
        X509Certificate leaf = chain.get(0);
        PrivateKey key = parseKey(entry.privateKeyPem(), leaf.getPublicKey().getAlgorithm(), what);
        if (!matches(key, leaf.getPublicKey())) {
            throw new IllegalArgumentException("the private key of " + what + " does not belong to its certificate");
        }
        List<String> names = entry.domainNames().stream().map(ServerCertificate::normalize).distinct().toList();
        if (names.isEmpty()) {
            throw new IllegalArgumentException(what + " names no domain");
        }
        try {
            SslContext context = SslContextBuilder.forServer(key, chain)
                    .sslProvider(SslProvider.JDK)
                    .protocols(TlsPolicy.PROTOCOLS)
                    .ciphers(TlsPolicy.CIPHER_SUITES, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(TlsPolicy.ALPN)
                    .clientAuth(ClientAuth.NONE)
                    .build();
            return new ServerCertificate(entry.arn(), names, leaf, context, fingerprint(entry));
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot build the TLS context of " + what + ": " + e.getMessage(), e);
        }
    }

    /** SHA-256 over the chain and the key as the snapshot carries them: equal fingerprints, same material. */
    static String fingerprint(CertificateEntry entry) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(entry.certificateChainPem().getBytes(StandardCharsets.US_ASCII));
            digest.update((byte) 0);
            digest.update(entry.privateKeyPem().getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(digest.digest());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The ACM ARN, or null for Trellis's own certificate of the generated names. */
    public String arn() {
        return arn;
    }

    /** The names it covers, lower case (exact names and one-level wildcards). */
    public List<String> names() {
        return names;
    }

    public X509Certificate leaf() {
        return leaf;
    }

    public SslContext sslContext() {
        return sslContext;
    }

    String fingerprint() {
        return fingerprint;
    }

    /**
     * Whether the certificate covers {@code host} (lower case, no trailing dot): an exact name, or a wildcard
     * {@code *.example.com} for exactly one more label ({@code a.example.com}, not {@code a.b.example.com}).
     */
    public boolean covers(String host) {
        for (String name : names) {
            if (name.equals(host)) {
                return true;
            }
            if (name.startsWith("*.")) {
                int dot = host.indexOf('.');
                if (dot > 0 && host.substring(dot + 1).equals(name.substring(2))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A host name as SNI and certificates are compared: lower case, without a trailing dot. */
    static String normalize(String name) {
        String lower = name.trim().toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    private static List<X509Certificate> parseChain(String pem, String what) {
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(
                    new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                chain.add((X509Certificate) certificate);
            }
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("the chain of " + what + " holds no certificate");
            }
            return chain;
        } catch (CertificateException e) {
            throw new IllegalArgumentException("the chain of " + what + " is not PEM certificates: " + e.getMessage(),
                    e);
        }
    }

    /** A PKCS#8 PEM key ({@code BEGIN PRIVATE KEY}) of the leaf's algorithm. Errors never echo the text. */
    private static PrivateKey parseKey(String pem, String algorithm, String what) {
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("the private key of " + what + " is not a PKCS#8 PEM key"
                    + " (BEGIN PRIVATE KEY)");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("the private key of " + what + " is not a valid " + algorithm
                    + " PKCS#8 key");
        }
    }

    /** A signature made with the key verifies with the certificate's public key. */
    private static boolean matches(PrivateKey key, PublicKey publicKey) {
        String algorithm = switch (publicKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signer.sign());
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "ServerCertificate[" + (arn == null ? "generated names" : arn) + ", " + names + ", serial "
                + leaf.getSerialNumber().toString(16) + "]";
    }
}
