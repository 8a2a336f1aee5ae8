package dev.trellis.model.snapshot;

import static dev.trellis.model.snapshot.SnapshotDecoder.shared;
import static dev.trellis.model.snapshot.SnapshotDecoder.sharedList;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A service reachable from the snapshot's VPC, through the service network the VPC is associated with.
 *
 * @param domainName the generated name ({@code <name>-<id>.<suffix>})
 * @param customDomainName the custom domain, or null
 * @param certificateArn the ACM certificate of the custom domain, or null
 * @param networkId the service network it is reached through
 * @param idleTimeoutSeconds idle timeout of connections (60–600; Lattice's default 60)
 * @param accessLogDestinations the destination ARNs of the access-log subscriptions of the service and of the network
 *        it is reached through: every request to the service is logged to each of them
 */
public record ServiceEntry(
        String id,
        String arn,
        String name,
        String domainName,
        String customDomainName,
        String certificateArn,
        String networkId,
        String networkArn,
        AuthLevel networkAuth,
        AuthLevel serviceAuth,
        int idleTimeoutSeconds,
        List<ServiceListener> listeners,
        List<String> accessLogDestinations) {

    public ServiceEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(arn, "arn");
        Objects.requireNonNull(domainName, "domainName");
        Objects.requireNonNull(networkArn, "networkArn");
        Objects.requireNonNull(networkAuth, "networkAuth");
        Objects.requireNonNull(serviceAuth, "serviceAuth");
        listeners = List.copyOf(listeners);
        accessLogDestinations = accessLogDestinations == null ? List.of() : List.copyOf(accessLogDestinations);
    }

    /**
     * This service, decoded anew, with what equals {@code before} (its previous version) taken from {@code before}:
     * its strings, its auth settings (policy texts included) and every listener and rule that did not change. A
     * canary shift of one rule leaves one new rule behind.
     */
    ServiceEntry sharing(ServiceEntry before) {
        List<ServiceListener> shared = new ArrayList<>(listeners.size());
        for (ServiceListener listener : listeners) {
            ServiceListener same = listener;
            for (ServiceListener old : before.listeners) {
                if (old.id().equals(listener.id())) {
                    same = old.equals(listener) ? old : listener.sharing(old);
                    break;
                }
            }
            shared.add(same);
        }
        return new ServiceEntry(before.id, shared(arn, before.arn), shared(name, before.name),
                shared(domainName, before.domainName), shared(customDomainName, before.customDomainName),
                shared(certificateArn, before.certificateArn), shared(networkId, before.networkId),
                shared(networkArn, before.networkArn), shared(networkAuth, before.networkAuth),
                shared(serviceAuth, before.serviceAuth), idleTimeoutSeconds, shared,
                sharedList(accessLogDestinations, before.accessLogDestinations));
    }
}
