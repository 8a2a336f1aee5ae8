package dev.trellis.gateway.fabric;

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
