package dev.trellis.controlplane.acm;

import dev.trellis.controlplane.store.StoreTransaction;
import java.util.List;
import java.util.Map;

/**
 * Who uses the certificates of an account: what DescribeCertificate reports as {@code InUseBy}, what makes
 * DeleteCertificate answer ResourceInUseException, and whose domain names a re-imported certificate must keep
 * covering. The Lattice API provides it (its services' {@code certificateArn}); ACM does not read Lattice's records
 * itself.
 */
@FunctionalInterface
public interface CertificateUsers {

    /** Nobody uses any certificate. */
    CertificateUsers NONE = (tx, accountId) -> Map.of();

    /** A resource using a certificate: its ARN and the domain name it serves with it (null when none). */
    record User(String arn, String domainName) {
    }

    /** The users of each certificate of {@code accountId}, by certificate ARN. */
    Map<String, List<User>> byCertificate(StoreTransaction tx, String accountId);
}
