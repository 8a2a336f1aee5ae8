package dev.trellis.controlplane.api;

import dev.trellis.auth.Principal;
import java.util.Objects;

/** Who is calling an API operation: the verified principal, its account, and the request's id for logs. */
public record Caller(Principal principal, String accountId, String requestId) {

    public Caller {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(requestId, "requestId");
    }
}
