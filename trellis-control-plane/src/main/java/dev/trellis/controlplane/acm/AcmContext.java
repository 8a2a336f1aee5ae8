package dev.trellis.controlplane.acm;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.pki.InternalCa;
import dev.trellis.controlplane.pki.MasterKey;
import dev.trellis.controlplane.store.Store;
import java.time.Clock;
import java.time.Instant;

/**
 * What an ACM operation works with. Operations open their own store transactions: issuing a certificate and
 * checking an imported key are slow enough (an RSA key generation, a signature) to be kept out of the store's
 * serialised write transaction.
 */
record AcmContext(
        Caller caller,
        Store store,
        ControlPlaneConfig config,
        Clock clock,
        OperationAuthorizer authorizer,
        InternalCa ca,
        MasterKey masterKey,
        CertificateUsers users) {

    /** Checks that the caller may run {@code acm:<operation>} on {@code resourceArn}. */
    void authorize(String operation, String resourceArn) {
        authorizer.authorize(caller, "acm:" + operation, resourceArn);
    }

    String accountId() {
        return caller.accountId();
    }

    Instant now() {
        return clock.instant();
    }
}
