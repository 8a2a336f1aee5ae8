package dev.trellis.controlplane.acm;

import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * What ACM reports about an X.509 certificate (DescribeCertificate's members), read once from the certificate:
 * names, validity, key algorithm, serial, subject, issuer, signature algorithm and key usages.
 *
 * @param domainName the subject CN, or the first DNS SAN when there is no CN
 * @param names the names a client matches: the DNS SANs, or the CN when there are none
 * @param keyAlgorithm ACM's name ({@code RSA_2048}, {@code EC_prime256v1}, ...), null for a key ACM does not take
 */
record CertificateFacts(
        String domainName,
        List<String> names,
        Instant notBefore,
        Instant notAfter,
        String keyAlgorithm,
        String serial,
        String subject,
        String issuer,
        String signatureAlgorithm,
        List<String> keyUsages,
        Map<String, String> extendedKeyUsages) {

    private static final String[] KEY_USAGES = {"DIGITAL_SIGNATURE", "NON_REPUDIATION", "KEY_ENCIPHERMENT",
        "DATA_ENCIPHERMENT", "KEY_AGREEMENT", "CERTIFICATE_SIGNING", "CRL_SIGNING", "ENCIPHER_ONLY",
        "DECIPHER_ONLY"};
    private static final Map<String, String> EXTENDED_KEY_USAGES = Map.of(
            "1.3.6.1.5.5.7.3.1", "TLS_WEB_SERVER_AUTHENTICATION",
            "1.3.6.1.5.5.7.3.2", "TLS_WEB_CLIENT_AUTHENTICATION",
            "1.3.6.1.5.5.7.3.3", "CODE_SIGNING",
            "1.3.6.1.5.5.7.3.4", "EMAIL_PROTECTION",
            "1.3.6.1.5.5.7.3.5", "IPSEC_END_SYSTEM",
            "1.3.6.1.5.5.7.3.6", "IPSEC_TUNNEL",
            "1.3.6.1.5.5.7.3.7", "IPSEC_USER",
            "1.3.6.1.5.5.7.3.8", "TIME_STAMPING",
            "1.3.6.1.5.5.7.3.9", "OCSP_SIGNING",
            "2.5.29.37.0", "ANY");

    CertificateFacts {
        names = List.copyOf(names);
        keyUsages = List.copyOf(keyUsages);
    }

    static CertificateFacts of(X509Certificate certificate) throws CertificateParsingException {
        String commonName = firstValue(certificate.getSubjectX500Principal(), BCStyle.CN);
        List<String> dnsNames = new ArrayList<>();
        var sans = certificate.getSubjectAlternativeNames();
        if (sans != null) {
            for (List<?> san : sans) {
                if (Integer.valueOf(2).equals(san.get(0)) && san.get(1) instanceof String name) {
                    dnsNames.add(name);
                }
            }
        }
        List<String> names = !dnsNames.isEmpty() ? dnsNames : commonName == null ? List.of() : List.of(commonName);
        String domainName = commonName != null ? commonName : names.isEmpty() ? null : names.get(0);
        List<String> keyUsages = new ArrayList<>();
        boolean[] usage = certificate.getKeyUsage();
        if (usage != null) {
            for (int i = 0; i < usage.length && i < KEY_USAGES.length; i++) {
                if (usage[i]) {
                    keyUsages.add(KEY_USAGES[i]);
                }
            }
        }
        Map<String, String> extended = new LinkedHashMap<>();
        List<String> oids = certificate.getExtendedKeyUsage();
        if (oids != null) {
            oids.forEach(oid -> extended.put(oid, EXTENDED_KEY_USAGES.getOrDefault(oid, "CUSTOM")));
        }
        return new CertificateFacts(domainName, names, certificate.getNotBefore().toInstant(),
                certificate.getNotAfter().toInstant(), keyAlgorithm(certificate.getPublicKey()),
                serial(certificate.getSerialNumber()), certificate.getSubjectX500Principal().getName(),
                issuer(certificate.getIssuerX500Principal()),
                certificate.getSigAlgName().toUpperCase(Locale.ROOT), keyUsages, extended);
    }

    /** ACM's KeyAlgorithm of a public key, or null when ACM does not support it. */
    static String keyAlgorithm(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            return switch (bits) {
                case 1024, 2048, 3072, 4096 -> "RSA_" + bits;
                default -> null;
            };
        }
        if (key.getAlgorithm().equals("EC")) {
            ASN1Encodable parameters = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getAlgorithm()
                    .getParameters();
            if (parameters instanceof ASN1ObjectIdentifier curve) {
                if (curve.equals(SECObjectIdentifiers.secp256r1)) {
                    return "EC_prime256v1";
                }
                if (curve.equals(SECObjectIdentifiers.secp384r1)) {
                    return "EC_secp384r1";
                }
                if (curve.equals(SECObjectIdentifiers.secp521r1)) {
                    return "EC_secp521r1";
                }
            }
        }
        return null;
    }

    /** The serial as ACM writes it: the bytes of the number in lowercase hex, separated by colons. */
    static String serial(BigInteger serial) {
        byte[] bytes = serial.toByteArray();
        int start = bytes.length > 1 && bytes[0] == 0 ? 1 : 0;
        StringJoiner out = new StringJoiner(":");
        for (int i = start; i < bytes.length; i++) {
            out.add(String.format("%02x", bytes[i]));
        }
        return out.toString();
    }

    /** The issuer's organisation, else its common name, else its whole name (ACM shows e.g. "Amazon"). */
    private static String issuer(X500Principal issuer) {
        String organisation = firstValue(issuer, BCStyle.O);
        if (organisation != null) {
            return organisation;
        }
        String commonName = firstValue(issuer, BCStyle.CN);
        return commonName != null ? commonName : issuer.getName();
    }

    private static String firstValue(X500Principal principal, ASN1ObjectIdentifier type) {
        RDN[] rdns = X500Name.getInstance(principal.getEncoded()).getRDNs(type);
        if (rdns.length == 0 || rdns[0].getFirst() == null) {
            return null;
        }
        ASN1Encodable value = rdns[0].getFirst().getValue();
        return value instanceof ASN1String text ? text.getString() : IETFUtils.valueToString(value);
    }
}
