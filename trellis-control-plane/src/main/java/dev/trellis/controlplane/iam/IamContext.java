package dev.trellis.controlplane.iam;

import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.api.Caller;
import dev.trellis.controlplane.api.OperationAuthorizer;
import dev.trellis.controlplane.identity.IamEntities;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.controlplane.protocol.ApiException;
import dev.trellis.controlplane.store.StoreTransaction;
import java.time.Clock;

/**
 * What an IAM operation works with: the caller, the store transaction it runs in (read-only for Get and List
 * operations), the control plane's settings, a clock, the authorizer and the identity directory.
 */
record IamContext(
        Caller caller,
        StoreTransaction tx,
        ControlPlaneConfig config,
        Clock clock,
        OperationAuthorizer authorizer,
        IdentityDirectory identities) {

    /**
     * Checks that the caller may run {@code iam:<operation>} on {@code resourceArn}; a refusal is IAM's
     * {@code AccessDenied} (403) with the authorizer's message.
     */
    void authorize(String operation, String resourceArn) {
        try {
            authorizer.authorize(caller, "iam:" + operation, resourceArn);
        } catch (ApiException e) {
            if (e.status() == 403) {
                throw IamErrors.accessDenied(e.getMessage());
            }
            throw e;
        }
    }

    String arn(String type, String path, String name) {
        return IamEntities.arn(config, type, path, name);
    }

    String accountId() {
        return config.accountId();
    }
}
