package dev.trellis.controlplane.acm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.pki.MasterKey;
import dev.trellis.controlplane.pki.Pem;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How ACM certificates are kept in the store: one resource of kind {@value #STORE_KIND} per certificate, id the
 * certificate's UUID, parent its account, and a document with DescribeCertificate's members plus bookkeeping
 * fields ({@code _certificate} and {@code _chain} PEM, {@code _privateKey} sealed by the {@link MasterKey} and bound
 * to the ARN, {@code _tags}). {@code Status} and {@code InUseBy} are not stored: they are computed when read.
 */
public final class CertificateRecords {

    public static final String STORE_KIND = "acm-certificate";
    static final String CERTIFICATE = "_certificate";
    static final String CHAIN = "_chain";
    static final String PRIVATE_KEY = "_privateKey";
    static final String TAGS = "_tags";

    private static final Pattern CERTIFICATE_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}"
            + "-[0-9a-f]{12}");

    private CertificateRecords() {
    }

    static String arn(ControlPlaneConfig config, String accountId, String id) {
        return prefix(config) + accountId + ":certificate/" + id;
    }

    private static String prefix(ControlPlaneConfig config) {
        return "arn:" + config.partition() + ":acm:" + config.region() + ":";
    }

    /**
     * Checks that {@code arn} is the ARN of an ACM certificate in this partition and region.
     *
     * @throws dev.trellis.controlplane.protocol.ApiException InvalidArnException otherwise
     */
    static void requireCertificateArn(ControlPlaneConfig config, String arn) {
        String prefix = prefix(config);
        String expected = prefix + "<account>:certificate/<id>";
        if (!arn.startsWith(prefix)) {
            throw AcmErrors.invalidArn(arn, expected);
        }
        String rest = arn.substring(prefix.length());
        int colon = rest.indexOf(':');
        if (colon != 12 || !rest.substring(0, 12).chars().allMatch(Character::isDigit)
                || !rest.startsWith("certificate/", colon + 1)
                || !CERTIFICATE_ID.matcher(rest.substring(colon + 1 + "certificate/".length())).matches()) {
            throw AcmErrors.invalidArn(arn, expected);
        }
    }

    /** The certificate {@code arn} names, when it exists and belongs to {@code accountId}. */
    public static Optional<StoredResource> find(StoreTransaction tx, String accountId, String arn) {
        return tx.getByArn(arn)
                .filter(r -> r.kind().equals(STORE_KIND))
                .filter(r -> r.accountId().equals(accountId));
    }

    /** The certificate {@code arn} names in the caller's account; InvalidArnException or ResourceNotFoundException. */
    static StoredResource require(StoreTransaction tx, ControlPlaneConfig config, String accountId, String arn) {
        requireCertificateArn(config, arn);
        return find(tx, accountId, arn).orElseThrow(() -> AcmErrors.notFound(arn));
    }

    /** ISSUED until NotAfter, then EXPIRED (ACM's statuses; Trellis never revokes). */
    public static String status(JsonNode document, Instant now) {
        Instant notAfter = Instant.parse(document.get("NotAfter").asText());
        return now.isAfter(notAfter) ? "EXPIRED" : "ISSUED";
    }

    /** The names clients match the certificate against: its DNS SANs, or its CN when it has none. */
    public static List<String> names(JsonNode document) {
        List<String> names = new ArrayList<>();
        document.path("SubjectAlternativeNames").forEach(n -> names.add(n.asText()));
        return names;
    }

    public static String keyAlgorithm(JsonNode document) {
        return document.path("KeyAlgorithm").asText();
    }

    /** The certificate's PEM. */
    public static String certificatePem(StoredResource record) {
        return record.document().get(CERTIFICATE).asText();
    }

    /** The chain that came with the certificate (PEM, issuer first), or "" when there is none. */
    public static String chainPem(StoredResource record) {
        return record.document().path(CHAIN).asText("");
    }

    /**
     * The private key of a stored certificate, decrypted. Only the control plane holds it; the snapshot compiler
     * is the one caller that may hand it on (to the gateways that terminate TLS with it).
     */
    public static PrivateKey privateKey(StoredResource record, MasterKey masterKey) {
        byte[] der = masterKey.open(record.document().get(PRIVATE_KEY).asText(), record.arn());
        String algorithm = keyAlgorithm(record.document()).startsWith("RSA") ? "RSA" : "EC";
        try {
            return Pem.pkcs8(der, algorithm);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the stored private key of " + record.arn() + " cannot be read", e);
        }
    }

    /** A certificate's document: DescribeCertificate's members read from the certificate, and its material. */
    static ObjectNode document(String arn, CertificateFacts facts, X509Certificate certificate,
                               List<X509Certificate> chain, String sealedPrivateKey) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("CertificateArn", arn);
        doc.put("DomainName", facts.domainName());
        ArrayNode names = doc.putArray("SubjectAlternativeNames");
        facts.names().forEach(names::add);
        doc.put("Serial", facts.serial());
        doc.put("Subject", facts.subject());
        doc.put("Issuer", facts.issuer());
        doc.put("NotBefore", timestamp(facts.notBefore()));
        doc.put("NotAfter", timestamp(facts.notAfter()));
        doc.put("KeyAlgorithm", facts.keyAlgorithm());
        doc.put("SignatureAlgorithm", facts.signatureAlgorithm());
        ArrayNode keyUsages = doc.putArray("KeyUsages");
        facts.keyUsages().forEach(u -> keyUsages.addObject().put("Name", u));
        ArrayNode extended = doc.putArray("ExtendedKeyUsages");
        facts.extendedKeyUsages().forEach((oid, name) -> extended.addObject().put("Name", name).put("OID", oid));
        // ACM renews only the certificates it issues and manages; Trellis renews none (docs/api-acm.md).
        doc.put("RenewalEligibility", "INELIGIBLE");
        doc.put(CERTIFICATE, Pem.certificate(certificate));
        if (!chain.isEmpty()) {
            doc.put(CHAIN, Pem.certificates(chain));
        }
        doc.put(PRIVATE_KEY, sealedPrivateKey);
        return doc;
    }

    static String timestamp(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
