package dev.trellis.controller.conformance;

import static dev.trellis.controller.conformance.ConformanceCluster.INFRA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Gateway API conformance suite's five GRPCRoute cases (v1.6.1, conformance-cases.md §10) in their HTTPS variant:
 * the cases' own manifests and the base manifests as they are, except that every Gateway's HTTP listener is rewritten to
 * HTTPS on 443 ({@link ConformanceCluster#ConformanceCluster(KubernetesClient, Path, boolean)}) — upstream runs gRPC
 * over h2c on HTTP:80, and VPC Lattice serves gRPC on HTTPS listeners only. The gRPC backends are {@link GrpcEcho}
 * servers; the calls are real grpc-java calls over TLS (the control plane's CA, the route's name as authority) through
 * the in-process gateway, checked as upstream checks them: the backend that answered, or the gRPC status, three times in
 * a row. docs/conformance.md has each case's result.
 */
@EnableKubernetesMockClient(crud = true)
class GrpcRouteConformanceTest {

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    static KubernetesMockServer server;
    static KubernetesClient client;

    @TempDir
    static Path dataDir;

    private static ConformanceCluster cluster;
    private final List<HasMetadata> applied = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new ConformanceCluster(client, dataDir, true);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void deleteCase() throws InterruptedException {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        cluster.delete(applied);
    }

    private void apply(String manifest) throws Exception {
        applied.addAll(cluster.apply("tests/" + manifest));
    }

    @Test
    @DisplayName("GRPCExactMethodMatching (HTTPS variant)")
    void grpcExactMethodMatching() throws Exception {
        apply("grpcroute-exact-method-matching.yaml");
        ManagedChannel channel = channel(cluster.awaitGrpcAccepted(INFRA, "exact-matching"));
        expect(channel, "Echo", Map.of(), "grpc-infra-backend-v1");
        expect(channel, "EchoTwo", Map.of(), "grpc-infra-backend-v2");
        expectStatus(channel, "EchoThree", Map.of(), Status.Code.UNIMPLEMENTED);
    }

    @Test
    @DisplayName("GRPCRouteHeaderMatching (HTTPS variant)")
    void grpcRouteHeaderMatching() throws Exception {
        apply("grpcroute-header-matching.yaml");
        ManagedChannel channel = channel(cluster.awaitGrpcAccepted(INFRA, "grpc-header-matching"));
        // gRPC metadata keys are lower case on the wire (HTTP/2); Lattice header matches are case-insensitive by name
        expect(channel, "Echo", Map.of("version", "one"), "grpc-infra-backend-v1");
        expect(channel, "Echo", Map.of("version", "two"), "grpc-infra-backend-v2");
        expect(channel, "Echo", Map.of("version", "two", "color", "orange"), "grpc-infra-backend-v1");
        expect(channel, "Echo", Map.of("version", "two", "color", "blue"), "grpc-infra-backend-v2");
        expectStatus(channel, "Echo", Map.of("color", "orange"), Status.Code.UNIMPLEMENTED);
        expectStatus(channel, "Echo", Map.of("some-other-header", "one"), Status.Code.UNIMPLEMENTED);
        expect(channel, "Echo", Map.of("color", "blue"), "grpc-infra-backend-v1");
        expect(channel, "Echo", Map.of("color", "green"), "grpc-infra-backend-v1");
        expect(channel, "Echo", Map.of("color", "red"), "grpc-infra-backend-v2");
        expect(channel, "Echo", Map.of("color", "yellow"), "grpc-infra-backend-v2");
        expectStatus(channel, "Echo", Map.of("color", "purple"), Status.Code.UNIMPLEMENTED);
    }

    /**
     * Partial: the exact listener hostnames become the routes' custom domains (served with the ACM certificates a user
     * imports for them), so {@code bar.com} → v1 and {@code foo.bar.com} → v2 as upstream. The wildcard listeners give
     * backend-v3 no custom domain (a Lattice service has one exact name): it serves on its generated name only, and
     * a host no service has (upstream: UNIMPLEMENTED) finds no certificate, so the TLS handshake fails (UNAVAILABLE).
     */
    @Test
    @DisplayName("GRPCRouteListenerHostnameMatching (HTTPS variant, partial)")
    void grpcRouteListenerHostnameMatching() throws Exception {
        cluster.importCertificate("bar.com");
        cluster.importCertificate("foo.bar.com");
        apply("grpcroute-listener-hostname-matching.yaml");
        cluster.awaitGrpcAccepted(INFRA, "backend-v1");
        cluster.awaitGrpcAccepted(INFRA, "backend-v2");
        String v3 = cluster.awaitGrpcAccepted(INFRA, "backend-v3");
        assertAttachedRoutes("grpcroute-listener-hostname-matching", Map.of("listener-1", 1, "listener-2", 1,
                "listener-3", 1, "listener-4", 1));
        expect(channel("bar.com"), "Echo", Map.of(), "grpc-infra-backend-v1");
        expect(channel("foo.bar.com"), "Echo", Map.of(), "grpc-infra-backend-v2");
        expect(channel(v3), "Echo", Map.of(), "grpc-infra-backend-v3");
        expectStatus(channel("no.matching.host"), "Echo", Map.of(), Status.Code.UNAVAILABLE);
    }

    @Test
    @DisplayName("GRPCRouteNamedRule (HTTPS variant)")
    void grpcRouteNamedRule() throws Exception {
        apply("grpcroute-named-rule.yaml");
        ManagedChannel channel = channel(cluster.awaitGrpcAccepted(INFRA, "grpc-named-rules"));
        expect(channel, "Echo", Map.of(), "grpc-infra-backend-v1");
        expect(channel, "EchoTwo", Map.of(), "grpc-infra-backend-v2");
    }

    /** Upstream: 500 Echo calls, every one OK, the backends within 5 points of 70/30/0; up to 10 tries. */
    @Test
    @DisplayName("GRPCRouteWeight (HTTPS variant)")
    void grpcRouteWeight() throws Exception {
        apply("grpcroute-weight.yaml");
        ManagedChannel channel = channel(cluster.awaitGrpcAccepted(INFRA, "weighted-backends"));
        expect(channel, "Echo", Map.of(), "grpc-infra-backend-v");
        AssertionError last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < 500; i++) {
                seen.merge(GrpcEcho.call(channel, "Echo", Map.of()).serviceName(), 1, Integer::sum);
            }
            try {
                assertThat(seen.keySet()).as("backends seen: %s", seen).doesNotContain("grpc-infra-backend-v3");
                assertThat(seen.getOrDefault("grpc-infra-backend-v1", 0) / 500.0).as("v1 share of %s", seen)
                        .isBetween(0.65, 0.75);
                assertThat(seen.getOrDefault("grpc-infra-backend-v2", 0) / 500.0).as("v2 share of %s", seen)
                        .isBetween(0.25, 0.35);
                return;
            } catch (AssertionError e) {
                last = e;
            }
        }
        throw last;
    }

    private ManagedChannel channel(String authority) throws Exception {
        await().atMost(ConformanceCluster.TIMEOUT).until(() -> cluster.gatewayPort(443) > 0);
        ManagedChannel channel = GrpcEcho.channel(cluster.gatewayPort(443), cluster.caPem(), authority);
        channels.add(channel);
        return channel;
    }

    /**
     * The call answers OK from a pod of {@code backend} {@value #CONSECUTIVE} times in a row, and the backend saw the
     * method called and the channel's authority.
     */
    private static void expect(ManagedChannel channel, String method, Map<String, String> metadata, String backend) {
        streak(() -> {
            GrpcEcho.Answer answer = GrpcEcho.call(channel, method, metadata);
            assertThat(answer.pod()).as("pod answering %s %s", method, metadata).startsWith(backend);
            assertThat(answer.namespace()).isEqualTo(INFRA);
            assertThat(answer.fullyQualifiedMethod()).isEqualTo(GrpcEcho.SERVICE + "/" + method);
            assertThat(answer.authority()).isEqualTo(channel.authority());
            metadata.forEach((k, v) -> assertThat(answer.headers()).containsEntry(k, v));
        });
    }

    private static void expectStatus(ManagedChannel channel, String method, Map<String, String> metadata,
            Status.Code code) {
        streak(() -> assertThatThrownBy(() -> GrpcEcho.call(channel, method, metadata))
                .as("%s %s", method, metadata)
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).as("status of %s %s", method, metadata).isEqualTo(code)));
    }

    private static final int CONSECUTIVE = 3;

    /** Upstream's eventual-consistency check: the check passes {@value #CONSECUTIVE} times in a row. */
    private static void streak(Runnable check) {
        int[] streak = {0};
        await().atMost(ConformanceCluster.TIMEOUT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            try {
                check.run();
                streak[0]++;
            } catch (AssertionError | RuntimeException e) {
                streak[0] = 0;
                throw e instanceof AssertionError a ? a : new AssertionError(e);
            }
            assertThat(streak[0]).as("consecutive successes").isGreaterThanOrEqualTo(CONSECUTIVE);
        });
    }

    private static void assertAttachedRoutes(String gateway, Map<String, Integer> expected) {
        await().atMost(ConformanceCluster.TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            Gateway g = cluster.client.resources(Gateway.class).inNamespace(INFRA).withName(gateway).get();
            Map<String, Integer> attached = new HashMap<>();
            g.getStatus().getListeners().forEach(l -> attached.put(l.getName(), l.getAttachedRoutes()));
            assertThat(attached).isEqualTo(expected);
        });
    }
}
