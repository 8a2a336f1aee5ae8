package dev.trellis.controlplane.acm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.time.Instant;
import java.util.List;

/**
 * What VPC Lattice requires of the certificate a service names in {@code certificateArn} (lattice-facts §3,
 * "Customer (BYOC) certificates"): an ACM certificate of the same account and region, not expired, with an RSA
 * 2048-bit key, whose names (SAN list, else CN; one-level wildcards) cover the service's custom domain name.
 * There is no fallback certificate, so a certificate that would fail the TLS handshake is refused up front.
 */
public final class LatticeCertificates {

    private LatticeCertificates() {
    }

    /**
     * Checks {@code certificateArn} for a service with {@code customDomainName} (null when it has none).
     *
     * @throws ApiException ValidationException on the field {@code certificateArn}, saying which rule failed
     */
    public static void requireUsable(StoreTransaction tx, String accountId, String certificateArn,
                                     String customDomainName, Instant now) {
        StoredResource certificate = CertificateRecords.find(tx, accountId, certificateArn)
                .orElseThrow(() -> refuse("'" + certificateArn + "' is not a certificate in ACM for this account and"
                        + " region; import one (acm import-certificate) or request one (acm request-certificate)"));
        JsonNode document = certificate.document();
        if (CertificateRecords.status(document, now).equals("EXPIRED")) {
            throw refuse("certificate " + certificateArn + " expired at " + document.get("NotAfter").asText());
        }
        String keyAlgorithm = CertificateRecords.keyAlgorithm(document);
        if (!keyAlgorithm.equals("RSA_2048")) {
            throw refuse("certificate " + certificateArn + " has a " + keyAlgorithm + " key; VPC Lattice accepts"
                    + " only certificates with RSA 2048-bit keys");
        }
        if (customDomainName != null) {
            List<String> names = CertificateRecords.names(document);
            if (!DomainNames.anyCovers(names, customDomainName)) {
                throw refuse("certificate " + certificateArn + " does not cover the custom domain name '"
                        + customDomainName + "': its names are " + String.join(", ", names)
                        + " (a wildcard covers exactly one label)");
            }
        }
    }

    private static ApiException refuse(String message) {
        return ApiException.invalidField("certificateArn", message);
    }
}
