package dev.trellis.controller;

import com.sun.net.httpserver.HttpServer;
import dev.trellis.controller.policy.TargetRef;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.Gateway;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Helpers the policy tests share: the walkthrough's manifests, EndpointSlices, local datastore stand-ins. */
final class PolicyTestSupport {

    private PolicyTestSupport() {
    }

    /** Applies one of the walkthrough's files as kubectl would (a Gateway without namespace goes to default). */
    static void apply(KubernetesClient client, String file) throws IOException {
        try (InputStream in = Files.newInputStream(ReferenceFiles.resolve("seed/sample/" + file))) {
            for (HasMetadata item : client.load(in).items()) {
                if (item instanceof Gateway && item.getMetadata().getNamespace() == null) {
                    item.getMetadata().setNamespace("default");
                }
                client.resource(item).create();
            }
        }
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

    static EndpointSlice slice(String service, String name, String ip, int port) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withName(name).withNamespace("apps")
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withPort(port).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses(ip).withNewConditions().withReady(true).endConditions().endEndpoint()
                .build();
    }

    /** An HTTP server answering {@code datastore <version> <path>}. */
    static HttpServer backend(String version) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = ("datastore " + version + " " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }

    static TargetRef ref(String kind, String name) {
        return new TargetRef(PolicyTargets.groupOf(kind), kind, name);
    }

    static List<String> conditionOf(List<io.fabric8.kubernetes.api.model.Condition> conditions) {
        var accepted = Conditions.find(conditions, "Accepted");
        return accepted == null ? List.of() : List.of(accepted.getStatus(), accepted.getReason(), accepted.getMessage());
    }
}
