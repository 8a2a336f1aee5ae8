package dev.trellis.controlplane.snapshot;

import java.time.Duration;

/**
 * Whether the gateways have what was just written: an API call whose result a caller uses at once on the data plane
 * (STS session credentials, signed with by the next request) waits for it before it answers, as AWS credentials work
 * as soon as STS returns them.
 */
@FunctionalInterface
public interface GatewayPropagation {

    /**
     * Waits until the gateways serve the store's current revision, at most {@code timeout}.
     *
     * @return whether they all did in time
     */
    boolean awaitServed(Duration timeout) throws InterruptedException;
}
