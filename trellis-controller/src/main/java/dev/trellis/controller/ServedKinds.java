package dev.trellis.controller;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Which optional Gateway API kinds the API server serves, read from their CustomResourceDefinitions. */
final class ServedKinds {

    private static final Logger log = LoggerFactory.getLogger(ServedKinds.class);

    private final KubernetesClient client;

    ServedKinds(KubernetesClient client) {
        this.client = client;
    }

    /** Whether {@code <plural>.gateway.networking.k8s.io} exists and serves {@code version}; logs when it does not. */
    boolean serves(String plural, String version) {
        String name = plural + "." + GatewayApiObjects.GROUP;
        CustomResourceDefinition crd;
        try {
            crd = client.apiextensions().v1().customResourceDefinitions().withName(name).get();
        } catch (KubernetesClientException e) {
            log.warn("cannot read CRD {} ({}): its routes are not watched", name, e.getMessage());
            return false;
        }
        boolean served = crd != null && crd.getSpec() != null && crd.getSpec().getVersions() != null
                && crd.getSpec().getVersions().stream()
                        .anyMatch(v -> version.equals(v.getName()) && Boolean.TRUE.equals(v.getServed()));
        if (!served) {
            log.info("CRD {} {}: its {} routes are not watched until it is (CrdWatch)",
                    name, crd == null ? "is not installed" : "does not serve " + version, version);
        }
        return served;
    }
}
