package dev.trellis.controlplane.acm;

import dev.trellis.controlplane.pki.InternalCa;
import dev.trellis.controlplane.pki.Pem;
import dev.trellis.controlplane.protocol.ApiException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * The certificate, private key and chain of an ImportCertificate call, parsed and checked as ACM checks them
 * (ACM user guide, "Prerequisites for importing certificates"): one PEM certificate, X.509 v3, an issuer, valid
 * now, a supported key, at least one name; an unencrypted PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC) that
 * belongs to the certificate; a chain, when given, in which each certificate signed the one before it. Every
 * refusal is a {@code ValidationException} (what ACM answers) saying what to fix.
 */
final class ImportMaterial {

    private static final Pattern CERTIFICATE_BLOCK = Pattern.compile(
            "-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----");

    final X509Certificate certificate;
    final PrivateKey privateKey;
    final List<X509Certificate> chain;
    final CertificateFacts facts;

    private ImportMaterial(X509Certificate certificate, PrivateKey privateKey, List<X509Certificate> chain,
                           CertificateFacts facts) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.chain = List.copyOf(chain);
        this.facts = facts;
    }

    static ImportMaterial parse(byte[] certificateBytes, byte[] privateKeyBytes, byte[] chainBytes, Instant now) {
        X509Certificate certificate = certificate(new String(certificateBytes, StandardCharsets.US_ASCII));
        CertificateFacts facts;
        try {
            facts = CertificateFacts.of(certificate);
        } catch (CertificateException e) {
            throw invalid("The certificate cannot be read: " + e.getMessage());
        }
        if (certificate.getVersion() != 3) {
            throw invalid("The certificate must be an X.509 version 3 certificate, not version "
                    + certificate.getVersion());
        }
        if (certificate.getIssuerX500Principal().getEncoded().length <= 2) {
            throw invalid("The certificate's Issuer field must not be empty");
        }
        if (now.isBefore(facts.notBefore()) || now.isAfter(facts.notAfter())) {
            throw invalid("The certificate is not valid now: it is valid from " + facts.notBefore() + " to "
                    + facts.notAfter() + ". You can import a certificate only within its validity period");
        }
        if (facts.keyAlgorithm() == null) {
            throw invalid("The certificate's public key (" + certificate.getPublicKey().getAlgorithm() + ") is not"
                    + " supported: ACM imports RSA 1024, 2048, 3072 or 4096-bit keys and EC P-256, P-384 or P-521"
                    + " keys");
        }
        if (facts.names().isEmpty()) {
            throw invalid("The certificate must name at least one domain: a subject common name (CN) or a DNS"
                    + " subject alternative name");
        }
        PrivateKey privateKey = privateKey(new String(privateKeyBytes, StandardCharsets.US_ASCII));
        if (!InternalCa.matches(privateKey, certificate.getPublicKey())) {
            throw invalid("The private key does not match the certificate: it is not the key of the certificate's"
                    + " public key (" + facts.keyAlgorithm() + ")");
        }
        List<X509Certificate> chain = chainBytes == null ? List.of()
                : chain(new String(chainBytes, StandardCharsets.US_ASCII), certificate);
        return new ImportMaterial(certificate, privateKey, chain, facts);
    }

    private static X509Certificate certificate(String pem) {
        Matcher blocks = CERTIFICATE_BLOCK.matcher(pem);
        int count = 0;
        while (blocks.find()) {
            count++;
        }
        if (count == 0) {
            throw invalid("The certificate must be PEM-encoded (-----BEGIN CERTIFICATE----- ...)");
        }
        if (count > 1) {
            throw invalid("The certificate field contains more than one certificate. You can specify only one"
                    + " certificate in this field; put the issuers in CertificateChain");
        }
        try {
            List<X509Certificate> parsed = Pem.parseCertificates(pem);
            if (parsed.size() != 1) {
                throw invalid("The certificate must be PEM-encoded (-----BEGIN CERTIFICATE----- ...)");
            }
            return parsed.get(0);
        } catch (CertificateException e) {
            throw invalid("The certificate cannot be parsed: " + e.getMessage());
        }
    }

    private static PrivateKey privateKey(String pem) {
        Object parsed;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            parsed = parser.readObject();
            // `openssl ecparam -genkey` writes the curve (EC PARAMETERS) before the key: skip it.
            while (parsed instanceof ASN1ObjectIdentifier) {
                parsed = parser.readObject();
            }
        } catch (IOException | RuntimeException e) {
            throw invalid("The private key cannot be parsed: " + e.getMessage());
        }
        if (parsed instanceof PKCS8EncryptedPrivateKeyInfo || parsed instanceof PEMEncryptedKeyPair) {
            throw invalid("The private key is encrypted. ACM imports only unencrypted private keys: remove the"
                    + " passphrase (openssl pkey -in key.pem -out plain.pem)");
        }
        try {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (parsed instanceof PEMKeyPair pair) {
                // PKCS#1 RSA or SEC1 EC; a SEC1 key may omit its public key, so only the private part is read.
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            if (parsed instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
        } catch (IOException | RuntimeException e) {
            throw invalid("The private key cannot be read: " + e.getMessage());
        }
        throw invalid("The private key must be a PEM-encoded private key (-----BEGIN PRIVATE KEY-----,"
                + " -----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)");
    }

    private static List<X509Certificate> chain(String pem, X509Certificate leaf) {
        List<X509Certificate> chain;
        try {
            chain = Pem.parseCertificates(pem);
        } catch (CertificateException e) {
            throw invalid("The certificate chain cannot be parsed: " + e.getMessage());
        }
        if (chain.isEmpty() || !CERTIFICATE_BLOCK.matcher(pem).find()) {
            throw invalid("The certificate chain must be PEM-encoded certificates (-----BEGIN CERTIFICATE----- ...)");
        }
        X509Certificate previous = leaf;
        for (int i = 0; i < chain.size(); i++) {
            X509Certificate issuer = chain.get(i);
            if (issuer.equals(leaf)) {
                throw invalid("The certificate chain must not contain the certificate itself, only its issuers");
            }
            String what = i == 0 ? "the certificate" : "chain certificate " + i;
            if (!issuer.getSubjectX500Principal().equals(previous.getIssuerX500Principal())) {
                throw invalid("Could not validate the certificate with the certificate chain: " + what
                        + " was issued by '" + previous.getIssuerX500Principal().getName() + "', but chain"
                        + " certificate " + (i + 1) + " is '" + issuer.getSubjectX500Principal().getName()
                        + "'. Each certificate in the chain must directly certify the one before it");
            }
            try {
                previous.verify(issuer.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw invalid("Could not validate the certificate with the certificate chain: the signature on "
                        + what + " does not verify with the key of chain certificate " + (i + 1));
            }
            previous = issuer;
        }
        return chain;
    }

    private static ApiException invalid(String message) {
        return AcmErrors.validation(message);
    }
}
