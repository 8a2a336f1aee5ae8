package dev.trellis.controlplane.lattice;

import dev.trellis.controlplane.acm.CertificateUsers;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Lattice resources that use ACM certificates: services whose {@code certificateArn} names one (HTTPS
 * listeners terminate TLS with their service's certificate). What ACM reports as {@code InUseBy}.
 */
public final class LatticeCertificateUsers implements CertificateUsers {

    private static final int CHUNK = 500;

    @Override
    public Map<String, List<User>> byCertificate(StoreTransaction tx, String accountId) {
        Map<String, List<User>> users = new LinkedHashMap<>();
        long after = -1;
        while (true) {
            List<StoredResource> services = tx.list(ResourceKind.SERVICE.storeKind(), accountId, after, CHUNK);
            for (StoredResource service : services) {
                String certificateArn = Documents.text(service.document(), "certificateArn");
                if (certificateArn != null) {
                    users.computeIfAbsent(certificateArn, arn -> new ArrayList<>()).add(
                            new User(service.arn(), Documents.text(service.document(), "customDomainName")));
                }
            }
            if (services.size() < CHUNK) {
                return users;
            }
            after = services.get(services.size() - 1).seq();
        }
    }
}
