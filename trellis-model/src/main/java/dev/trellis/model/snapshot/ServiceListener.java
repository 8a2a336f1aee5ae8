package dev.trellis.model.snapshot;

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
}
