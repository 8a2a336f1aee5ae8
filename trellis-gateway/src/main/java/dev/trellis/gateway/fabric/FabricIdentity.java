package dev.trellis.gateway.fabric;

import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.util.Base64;

/**
 * A gateway's fabric TLS material, as the control plane's registration API returns it: the gateway's certificate
 * chain (leaf first; issued by the internal CA, valid 7 days, EKU serverAuth and clientAuth, SAN DNS
 * {@code <vpcId>.gateway.trellis.internal}), its private key (unencrypted PKCS#8, {@code BEGIN PRIVATE KEY}), and the
 * CA certificates peers are verified against (one or more: a bundle lets a CA rotation overlap).
 *
 * <p>A plain value: {@link FabricTls#create} and {@link FabricTls#update} parse and check it.
 */
public record FabricIdentity(String certificateChainPem, String privateKeyPem, String caCertificatesPem) {

    public FabricIdentity {
        requirePem(certificateChainPem, "certificateChainPem");
        requirePem(privateKeyPem, "privateKeyPem");
        requirePem(caCertificatesPem, "caCertificatesPem");
    }

    /**
     * The material of a registration that kept its key pair in the gateway (the control plane certifies the public key
     * and never sees the private one): {@code GatewayCertificate.certificateChainPem()}, the pair's private key, and
     * {@code GatewayCertificate.caCertificatePem()}.
     */
    public static FabricIdentity of(String certificateChainPem, PrivateKey privateKey, String caCertificatesPem) {
        if (privateKey == null || !"PKCS#8".equals(privateKey.getFormat())) {
            throw new IllegalArgumentException("the fabric private key must be a PKCS#8-encodable key");
        }
        String keyPem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(privateKey.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        return new FabricIdentity(certificateChainPem, keyPem, caCertificatesPem);
    }

    private static void requirePem(String pem, String what) {
        if (pem == null || !pem.contains("-----BEGIN ")) {
            throw new IllegalArgumentException(what + " must be PEM text (-----BEGIN ...)");
        }
    }

    @Override
    public String toString() {
        // Never the private key.
        return "FabricIdentity[" + certificateChainPem.length() + " chars of certificates]";
    }
}
