package dev.trellis.controller.injector;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.function.Function;

/**
 * The labels of a namespace, read from the API server at each review (a pod's review does not carry them). Needs
 * {@code get} on {@code namespaces}. A namespace that does not exist (yet) has no labels.
 */
public final class NamespaceLabels implements Function<String, Map<String, String>> {

    private final KubernetesClient kubernetes;

    public NamespaceLabels(KubernetesClient kubernetes) {
        this.kubernetes = kubernetes;
    }

    @Override
    public Map<String, String> apply(String namespace) {
        Namespace found = kubernetes.namespaces().withName(namespace).get();
        if (found == null || found.getMetadata() == null || found.getMetadata().getLabels() == null) {
            return Map.of();
        }
        return Map.copyOf(found.getMetadata().getLabels());
    }
}
