package dev.trellis.controlplane.snapshot;

import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.model.snapshot.CertificateEntry;
import dev.trellis.model.snapshot.ServiceEntry;
import java.util.List;

/** Where a VPC snapshot's TLS certificates come from (see {@link ListenerCertificates}). */
public interface CertificateSource {

    /** No certificates: snapshots without TLS material. */
    CertificateSource NONE = new CertificateSource() {
        @Override
        public void refresh() {
        }

        @Override
        public List<CertificateEntry> certificates(StoreTransaction tx, List<ServiceEntry> services) {
            return List.of();
        }
    };

    /** Called before each compile, outside any transaction: may write (issue or rotate a managed certificate). */
    void refresh();

    /** The certificates the VPC's gateways terminate TLS with for {@code services}, read in the compile's {@code tx}. */
    List<CertificateEntry> certificates(StoreTransaction tx, List<ServiceEntry> services);
}
