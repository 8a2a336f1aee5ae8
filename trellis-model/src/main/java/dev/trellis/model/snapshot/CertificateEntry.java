package dev.trellis.model.snapshot;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A certificate a gateway terminates TLS with: an ACM certificate named by a reachable service's
 * {@code certificateArn} (custom domains), or the certificate Trellis issues itself from its internal CA for the
 * generated names (as Lattice manages one for its FQDNs).
 *
 * @param arn the ACM certificate ARN, or null for Trellis's own certificate of the generated names
 * @param domainNames the names it covers (exact names and one-level wildcards {@code *.example.com})
 * @param certificateChainPem the chain, leaf first, as PEM
 * @param privateKeyPem the private key, PKCS#8 PEM (snapshots are served only to authorized gateways and persisted
 *        owner-only)
 */
public record CertificateEntry(String arn, List<String> domainNames, String certificateChainPem,
                               String privateKeyPem, Instant notAfter) {

    public CertificateEntry {
        domainNames = domainNames == null ? List.of() : List.copyOf(domainNames);
        Objects.requireNonNull(certificateChainPem, "certificateChainPem");
        Objects.requireNonNull(privateKeyPem, "privateKeyPem");
    }

    @Override
    public String toString() {
        // Never the key.
        return "CertificateEntry[" + (arn == null ? "generated names" : arn) + ", " + domainNames + "]";
    }
}
