package dev.trellis.controller;

import dev.trellis.controller.policy.TargetRef;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Helpers the policy tests share (the walkthrough's objects themselves: {@link SampleCluster}). */
final class PolicyTestSupport {

    private PolicyTestSupport() {
    }

    /** Creates the CRDs of deploy/kubernetes/crds/ in the API server, as installing Trellis does. */
    static void installCrds(KubernetesClient client) throws IOException {
        try (var files = Files.list(crds())) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    client.resource(client.getKubernetesSerialization().unmarshal(in,
                            io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class)).create();
                }
            }
        }
    }

    /** deploy/kubernetes/crds of the repository this test runs in. */
    static Path crds() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("deploy/kubernetes/crds");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("deploy/kubernetes/crds not found above " + Path.of("").toAbsolutePath());
    }

    static String read(String file) throws IOException {
        return Files.readString(ReferenceFiles.resolve("seed/sample/" + file));
    }

    static TargetRef ref(String kind, String name) {
        return new TargetRef(PolicyTargets.groupOf(kind), kind, name);
    }

    static List<String> conditionOf(List<io.fabric8.kubernetes.api.model.Condition> conditions) {
        var accepted = Conditions.find(conditions, "Accepted");
        return accepted == null ? List.of() : List.of(accepted.getStatus(), accepted.getReason(), accepted.getMessage());
    }
}
