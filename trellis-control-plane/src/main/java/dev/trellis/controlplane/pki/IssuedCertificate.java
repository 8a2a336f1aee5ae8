package dev.trellis.controlplane.pki;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A certificate the internal CA issued, its private key, and the chain that leads from it to the trust anchor
 * (today: the CA's own certificate).
 */
public record IssuedCertificate(X509Certificate certificate, PrivateKey privateKey, List<X509Certificate> chain) {

    public IssuedCertificate {
        chain = List.copyOf(chain);
    }

    public String certificatePem() {
        return Pem.certificate(certificate);
    }

    public String chainPem() {
        return Pem.certificates(chain);
    }

    /** The private key as unencrypted PKCS#8 PEM: handle with care, never log or return it from an API. */
    public String privateKeyPem() {
        return Pem.privateKey(privateKey);
    }

    @Override
    public String toString() {
        return "IssuedCertificate[" + certificate.getSubjectX500Principal() + ", serial "
                + certificate.getSerialNumber().toString(16) + "]";
    }
}
