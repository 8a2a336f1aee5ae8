package dev.trellis.controller;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
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
import java.util.List;

/**
 * What the tests do to a cluster as the walkthrough's user does: {@code kubectl apply} of the sample manifests, the
 * EndpointSlices Kubernetes would make for the datastore pods, and the datastore pods themselves (local HTTP servers
 * answering {@code datastore <version> <path>}).
 */
final class SampleCluster {

    private SampleCluster() {
    }

    /** Creates every object of {@code seed/sample/<file>} as {@code kubectl apply} would. */
    static void apply(KubernetesClient client, String file) throws IOException {
        try (InputStream in = Files.newInputStream(ReferenceFiles.resolve("seed/sample/" + file))) {
            for (HasMetadata item : client.load(in).items()) {
                // kubectl puts namespaced objects without a namespace into "default" (the mock client would use "test")
                if (item instanceof Gateway && item.getMetadata().getNamespace() == null) {
                    item.getMetadata().setNamespace("default");
                }
                client.resource(item).create();
            }
        }
    }

    /** The EndpointSlice of a Service in {@code apps} with ready endpoints at {@code ips} on {@code port}. */
    static EndpointSlice slice(String service, String name, List<String> ips, int port) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withName(name).withNamespace("apps")
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withPort(port).withProtocol("TCP").endPort()
                .withEndpoints(ips.stream().map(ip -> new EndpointBuilder()
                        .withAddresses(ip).withNewConditions().withReady(true).endConditions().build()).toList())
                .build();
    }

    /** A datastore pod: answers every request with {@code datastore <version> <path>}. */
    static HttpServer datastore(String version) throws IOException {
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
}
