package dev.trellis.gateway.support;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A target's TLS identity that no client could validate: a self-signed RSA certificate that expired yesterday, for
 * a name that is not the target's address. Lattice does not validate target certificates (facts §5), so the
 * gateway must accept it.
 */
public final class SelfSignedTls {

    private final X509Certificate certificate;
    private final PrivateKey key;

    private SelfSignedTls() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        X500Name name = new X500Name("CN=some-other-name.example");
        Instant now = Instant.now();
        certificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofDays(30))),
                Date.from(now.minus(Duration.ofDays(1))), name, keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
        key = keys.getPrivate();
    }

    public static SelfSignedTls create() {
        try {
            return new SelfSignedTls();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A Netty server context with this identity, offering ALPN {@code protocols} (none when empty). */
    public SslContext serverContext(String... protocols) {
        try {
            SslContextBuilder builder = SslContextBuilder.forServer(key, certificate);
            if (protocols.length > 0) {
                builder.applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, protocols));
            }
            return builder.build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the certificate and PKCS#8 key as PEM files (for grpc-java's TLS server credentials). */
    public Path[] writePem(Path dir) throws IOException {
        try {
            Path cert = dir.resolve("target.crt");
            Path pkcs8 = dir.resolve("target.key");
            Files.writeString(cert, pem("CERTIFICATE", certificate.getEncoded()));
            Files.writeString(pkcs8, pem("PRIVATE KEY", key.getEncoded()));
            return new Path[] {cert, pkcs8};
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IOException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
