package dev.trellis.controlplane.snapshot;

import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.model.snapshot.CallerCredential;
import java.time.Instant;
import java.util.List;

/**
 * The callers a VPC's gateways must be able to authenticate, as derived material only: every active access key and
 * every unexpired temporary credential, with signing keys for the days around {@code now} and its identity policies.
 */
@FunctionalInterface
public interface CredentialSource {

    List<CallerCredential> credentials(StoreTransaction tx, String region, Instant now);

    /** No callers: every signed request is refused (used until identities are wired, and in tests). */
    CredentialSource NONE = (tx, region, now) -> List.of();
}
