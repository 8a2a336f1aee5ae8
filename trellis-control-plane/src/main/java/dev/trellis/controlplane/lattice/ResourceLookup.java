package dev.trellis.controlplane.lattice;

import dev.trellis.controlplane.store.StoredResource;
import java.util.Optional;

/**
 * Finds the resource an {@code *Identifier} member names: an id ({@code svc-0123...}) or an ARN. Only resources of
 * the caller's account are visible (sharing through AWS RAM is not supported; docs/api-compatibility.md); anything
 * else is ResourceNotFoundException naming the identifier as given.
 */
final class ResourceLookup {

    private ResourceLookup() {
    }

    static StoredResource require(OperationContext ctx, ResourceKind kind, String identifier) {
        return find(ctx, kind, identifier).orElseThrow(() -> LatticeErrors.notFound(kind, identifier));
    }

    static Optional<StoredResource> find(OperationContext ctx, ResourceKind kind, String identifier) {
        if (identifier == null) {
            return Optional.empty();
        }
        Optional<StoredResource> found = identifier.startsWith("arn:")
                ? ctx.tx().getByArn(identifier)
                : ctx.tx().get(kind.storeKind(), identifier);
        return found.filter(r -> r.kind().equals(kind.storeKind()))
                .filter(r -> r.accountId().equals(ctx.caller().accountId()));
    }

    /** A listener of {@code service}. */
    static StoredResource requireListener(OperationContext ctx, StoredResource service, String identifier) {
        return find(ctx, ResourceKind.LISTENER, identifier)
                .filter(l -> service.id().equals(l.parentId()))
                .orElseThrow(() -> LatticeErrors.notFound(ResourceKind.LISTENER, identifier));
    }

    /** A rule of {@code listener}. */
    static Optional<StoredResource> findRule(OperationContext ctx, StoredResource listener, String identifier) {
        return find(ctx, ResourceKind.RULE, identifier).filter(r -> listener.id().equals(r.parentId()));
    }

    /**
     * A service network or service named by a {@code ResourceIdentifier} (auth policies, access log
     * subscriptions): {@code sn-}/{@code svc-} ids or their ARNs. Resource configurations are not supported, so
     * {@code rcfg-} identifiers are never found.
     */
    static StoredResource requireServiceOrNetwork(OperationContext ctx, String identifier) {
        Optional<StoredResource> found;
        if (identifier.startsWith("arn:")) {
            found = ctx.tx().getByArn(identifier)
                    .filter(r -> r.kind().equals(ResourceKind.SERVICE.storeKind())
                            || r.kind().equals(ResourceKind.SERVICE_NETWORK.storeKind()))
                    .filter(r -> r.accountId().equals(ctx.caller().accountId()));
        } else if (identifier.startsWith("sn-")) {
            found = find(ctx, ResourceKind.SERVICE_NETWORK, identifier);
        } else if (identifier.startsWith("svc-")) {
            found = find(ctx, ResourceKind.SERVICE, identifier);
        } else {
            found = Optional.empty();
        }
        return found.orElseThrow(() -> LatticeErrors.notFound(resourceTypeOf(identifier), identifier,
                "No service network or service '" + identifier + "' was found"));
    }

    private static String resourceTypeOf(String identifier) {
        if (identifier.startsWith("sn-") || identifier.contains(":servicenetwork/")) {
            return ResourceKind.SERVICE_NETWORK.errorType();
        }
        if (identifier.startsWith("rcfg-") || identifier.contains(":resourceconfiguration/")) {
            return "RESOURCE_CONFIGURATION";
        }
        return ResourceKind.SERVICE.errorType();
    }
}
