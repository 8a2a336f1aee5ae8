package dev.trellis.gateway.fabric;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * The TLS contexts of one gateway's fabric, built from its current {@link FabricIdentity}: the server side (TLS 1.3
 * only, client certificate required and verified against the CA, ALPN {@code h2} only) and the client side (TLS 1.3,
 * this gateway's certificate, the server verified against the CA; its SAN is checked by the connection, not by
 * host-name verification, because peers are addressed by IP).
 *
 * <p>{@link #update} replaces the material at run time (certificate renewal): handshakes started afterwards use the
 * new contexts, connections already established keep theirs. Both sides read the current contexts with one volatile
 * read, from any thread.
 */
public final class FabricTls {

    /** A gateway's certificate names {@code <vpcId>} followed by this. */
    public static final String NAME_SUFFIX = ".gateway.trellis.internal";

    private static final int DNS_NAME = 2;

    /** Set to {@code jdk} to keep the fabric on the JDK's TLS even where BoringSSL loads (comparisons, diagnosis). */
    public static final String PROVIDER_PROPERTY = "trellis.fabric.tls";

    /**
     * BoringSSL (netty-tcnative) where its native library loads, else the JDK's TLS. The fabric is the gateway's own
     * connection between gateways, with no suite order to honour (unlike Lattice's listener policy, which keeps the
     * JDK provider: DESIGN.md "HTTPS listeners"), so it takes the cheaper records and handshakes: direct buffers
     * without a copy per write and the AES-GCM of OpenSSL instead of a new JDK cipher per record.
     */
    static final SslProvider PROVIDER = "jdk".equalsIgnoreCase(System.getProperty(PROVIDER_PROPERTY))
            || !OpenSsl.isAvailable() ? SslProvider.JDK : SslProvider.OPENSSL;

    /** The TLS implementation the fabric's contexts use: {@code OPENSSL} (BoringSSL) or {@code JDK}. */
    public static SslProvider provider() {
        return PROVIDER;
    }

    private final String vpcId;
    private volatile Material current;

    private record Material(SslContext server, SslContext client, X509Certificate certificate) {
    }

    private FabricTls(String vpcId, Material material) {
        this.vpcId = vpcId;
        this.current = material;
    }

    /**
     * The fabric TLS of the gateway of {@code vpcId}.
     *
     * @throws IllegalArgumentException when the identity does not parse, its key does not match its certificate,
     *         the certificate is not for this VPC's gateway, has expired, or was not issued by one of the CAs
     */
    public static FabricTls create(String vpcId, FabricIdentity identity) {
        Objects.requireNonNull(vpcId, "vpcId");
        return new FabricTls(vpcId, build(vpcId, identity));
    }

    /** Replaces the material (renewal); checked as in {@link #create}, the old material stays on failure. */
    public void update(FabricIdentity identity) {
        current = build(vpcId, identity);
    }

    /** The VPC whose gateway this is. */
    public String vpcId() {
        return vpcId;
    }

    /** This gateway's current certificate. */
    public X509Certificate certificate() {
        return current.certificate();
    }

    SslContext serverContext() {
        return current.server();
    }

    SslContext clientContext() {
        return current.client();
    }

    /** The DNS name a gateway's fabric certificate carries: {@code <vpcId>.gateway.trellis.internal}. */
    public static String gatewayName(String vpcId) {
        return vpcId + NAME_SUFFIX;
    }

    /** Whether {@code certificate} has the DNS SAN {@code name} (case-insensitive, no wildcards). */
    static boolean hasDnsName(X509Certificate certificate, String name) {
        return dnsNames(certificate).contains(name.toLowerCase(Locale.ROOT));
    }

    /** The VPC a peer gateway's certificate is for, from its first {@code *.gateway.trellis.internal} SAN. */
    static String vpcOf(X509Certificate certificate) {
        for (String name : dnsNames(certificate)) {
            if (name.endsWith(NAME_SUFFIX) && name.length() > NAME_SUFFIX.length()) {
                String vpc = name.substring(0, name.length() - NAME_SUFFIX.length());
                if (vpc.matches("vpc-[0-9a-f]+")) {
                    return vpc;
                }
            }
        }
        return null;
    }

    static List<String> dnsNames(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> entry : alternatives) {
                    if (entry.size() >= 2 && Integer.valueOf(DNS_NAME).equals(entry.get(0))
                            && entry.get(1) instanceof String name) {
                        names.add(name.toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // An unparseable SAN extension names nothing.
        }
        return names;
    }

    private static Material build(String vpcId, FabricIdentity identity) {
        Objects.requireNonNull(identity, "identity");
        List<X509Certificate> chain = certificates(identity.certificateChainPem(), "certificate chain");
        List<X509Certificate> cas = certificates(identity.caCertificatesPem(), "CA certificates");
        X509Certificate leaf = chain.get(0);
        PrivateKey key = privateKey(identity.privateKeyPem(), leaf.getPublicKey().getAlgorithm());
        if (!matches(key, leaf.getPublicKey())) {
            throw new IllegalArgumentException("the fabric private key does not belong to the certificate "
                    + leaf.getSubjectX500Principal());
        }
        String name = gatewayName(vpcId);
        if (!hasDnsName(leaf, name)) {
            throw new IllegalArgumentException("the fabric certificate must name " + name + " (DNS SAN); it names "
                    + dnsNames(leaf));
        }
        try {
            leaf.checkValidity();
        } catch (CertificateException e) {
            throw new IllegalArgumentException("the fabric certificate is not valid now (" + leaf.getNotBefore()
                    + " to " + leaf.getNotAfter() + ")");
        }
        X509Certificate top = chain.get(chain.size() - 1);
        if (cas.stream().noneMatch(ca -> signedBy(top, ca))) {
            throw new IllegalArgumentException("the fabric certificate chain does not lead to one of the CA"
                    + " certificates (issuer " + top.getIssuerX500Principal() + ")");
        }
        ApplicationProtocolConfig alpn = new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2);
        try {
            SslContext server = SslContextBuilder.forServer(key, chain)
                    .sslProvider(PROVIDER)
                    .protocols("TLSv1.3")
                    .trustManager(cas)
                    .clientAuth(ClientAuth.REQUIRE)
                    .applicationProtocolConfig(alpn)
                    .build();
            SslContext client = SslContextBuilder.forClient()
                    .sslProvider(PROVIDER)
                    .protocols("TLSv1.3")
                    .keyManager(key, chain)
                    .trustManager(cas)
                    // Peers are dialled by IP; FabricConnection checks the SAN <vpc>.gateway.trellis.internal.
                    .endpointIdentificationAlgorithm(null)
                    .applicationProtocolConfig(alpn)
                    .build();
            return new Material(server, client, leaf);
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot build the fabric TLS contexts: " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> certificates(String pem, String what) {
        try {
            List<X509Certificate> certificates = new ArrayList<>();
            for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(
                    new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                certificates.add((X509Certificate) certificate);
            }
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("the fabric " + what + " hold no certificate");
            }
            return certificates;
        } catch (CertificateException e) {
            throw new IllegalArgumentException("the fabric " + what + " are not PEM certificates: "
                    + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(String pem, String algorithm) {
        String begin = "-----BEGIN PRIVATE KEY-----";
        int start = pem.indexOf(begin);
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("the fabric private key must be unencrypted PKCS#8 PEM"
                    + " (-----BEGIN PRIVATE KEY-----)");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(pem.substring(start + begin.length(), end));
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("the fabric private key cannot be read as a " + algorithm + " key: "
                    + e.getMessage(), e);
        }
    }

    /** A signature made with the private key verifies with the public key. */
    private static boolean matches(PrivateKey key, PublicKey publicKey) {
        String algorithm = switch (publicKey.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            throw new IllegalArgumentException("unsupported fabric key algorithm " + publicKey.getAlgorithm());
        }
        try {
            byte[] probe = "trellis fabric key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static boolean signedBy(X509Certificate certificate, X509Certificate ca) {
        if (!certificate.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
            return false;
        }
        try {
            certificate.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "FabricTls[" + gatewayName(vpcId) + ", serial " + current.certificate().getSerialNumber() + "]";
    }
}
