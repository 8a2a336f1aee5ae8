package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Gateway API ReferenceGrants: whether a route in one namespace may use a backend in another. A grant lives in the
 * target's namespace and names the referring kinds ({@code from}: group, kind, namespace) and the targets ({@code to}:
 * group, kind, optional name). Without a grant a cross-namespace backendRef is {@code ResolvedRefs=False},
 * reason {@code RefNotPermitted} (the AWS controller does not implement grants and lets every reference through;
 * controller-facts §2).
 *
 * <p>Grants are read in both served versions, {@code v1} (Gateway API v1.5+) and {@code v1beta1}, as generic resources:
 * fabric8's model has no v1 ReferenceGrant, and a cluster that serves only one version (or neither: no CRD) must not
 * fail the route — a version that is not served simply grants nothing.
 */
final class ReferenceGrants {

    /** Named in full, so no discovery call is needed to find the resource. */
    private static final List<ResourceDefinitionContext> VERSIONS = List.of(context("v1"), context("v1beta1"));

    private final KubernetesClient client;

    ReferenceGrants(KubernetesClient client) {
        this.client = client;
    }

    /**
     * True when {@code fromKind} (of the Gateway API group) in {@code fromNamespace} may refer to {@code toGroup/toKind}
     * {@code toName} in {@code toNamespace}. References within one namespace need no grant.
     */
    boolean permits(String fromNamespace, String fromKind, String toNamespace, String toGroup, String toKind, String toName) {
        if (Objects.equals(fromNamespace, toNamespace)) {
            return true;
        }
        for (GenericKubernetesResource grant : grants(toNamespace)) {
            Map<String, Object> spec = map(grant.getAdditionalProperties().get("spec"));
            boolean fromMatches = list(spec.get("from")).stream().map(ReferenceGrants::map).anyMatch(f ->
                    GatewayApiObjects.GROUP.equals(f.get("group")) && fromKind.equals(f.get("kind"))
                            && fromNamespace.equals(f.get("namespace")));
            boolean toMatches = list(spec.get("to")).stream().map(ReferenceGrants::map).anyMatch(t ->
                    toGroup.equals(t.get("group") == null ? "" : t.get("group")) && toKind.equals(t.get("kind"))
                            && (t.get("name") == null || "".equals(t.get("name")) || toName.equals(t.get("name"))));
            if (fromMatches && toMatches) {
                return true;
            }
        }
        return false;
    }

    /** The grants in a namespace, from every served version (one object served in two versions counts once). */
    private List<GenericKubernetesResource> grants(String namespace) {
        Map<String, GenericKubernetesResource> byName = new LinkedHashMap<>();
        for (ResourceDefinitionContext version : VERSIONS) {
            try {
                client.genericKubernetesResources(version).inNamespace(namespace).list().getItems()
                        .forEach(g -> byName.putIfAbsent(g.getMetadata().getName(), g));
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
                // this version is not served (or the CRD is not installed): it grants nothing
            }
        }
        return List.copyOf(byName.values());
    }

    private static ResourceDefinitionContext context(String version) {
        return new ResourceDefinitionContext.Builder().withGroup(GatewayApiObjects.GROUP).withVersion(version)
                .withKind("ReferenceGrant").withPlural("referencegrants").withNamespaced(true).build();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static List<?> list(Object value) {
        return value instanceof List<?> l ? l : List.of();
    }
}
