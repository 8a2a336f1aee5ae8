package dev.trellis.model.snapshot;

import static dev.trellis.model.snapshot.SnapshotDecoder.shared;
import static dev.trellis.model.snapshot.SnapshotDecoder.sharedList;

import java.util.List;
import java.util.Objects;

/**
 * A listener of a service: protocol ({@code HTTP}, {@code HTTPS}, {@code TLS_PASSTHROUGH}), port and its rules in
 * evaluation order — by priority, the default rule last.
 */
public record ServiceListener(String id, String arn, String protocol, int port, List<ListenerRule> rules) {

    public ServiceListener {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(protocol, "protocol");
        rules = List.copyOf(rules);
    }

    /**
     * This listener, decoded anew, with what equals {@code before} (its previous version) taken from {@code before}:
     * its strings and every rule that did not change, in order or not.
     */
    ServiceListener sharing(ServiceListener before) {
        return new ServiceListener(before.id, shared(arn, before.arn), shared(protocol, before.protocol), port,
                sharedList(rules, before.rules));
    }
}
