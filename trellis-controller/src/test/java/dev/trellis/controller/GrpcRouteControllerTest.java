package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.vpclattice.model.GetRuleResponse;
import software.amazon.awssdk.services.vpclattice.model.ServiceSummary;

/**
 * GRPCRoutes through fabric8's mock API server and the real control plane: the Lattice service, HTTPS listener, POST +
 * path rules and GRPC target groups checked through the Lattice API, then real gRPC calls (grpc-java, TLS with the
 * control plane's CA) through an in-process gateway reaching two local gRPC servers as the rules say.
 */
@EnableKubernetesMockClient(crud = true)
class GrpcRouteControllerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final Metadata.Key<String> VERSION = Metadata.Key.of("x-version", Metadata.ASCII_STRING_MARSHALLER);
    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    };
    private static final MethodDescriptor<String, String> UNARY = unary("test.Echo", "Unary");
    private static final MethodDescriptor<String, String> OTHER = unary("test.Echo", "Other");
    private static final MethodDescriptor<String, String> UNROUTED = unary("test.Nowhere", "Call");

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dataDir;

    private ControllerFixture fixture;
    private Server v1;
    private Server v2;

    @BeforeEach
    void start() throws Exception {
        v1 = echoServer("v1");
        v2 = echoServer("v2");
        GatewayApiCrds.installGrpcAndTlsRoutes(client);
        fixture = new ControllerFixture(dataDir.resolve("control-plane"), client, Map.of());
        client.resource(new GatewayClassBuilder().withNewMetadata().withName("amazon-vpc-lattice").endMetadata()
                .withNewSpec().withControllerName(ControllerConfig.DEFAULT_CONTROLLER_NAME).endSpec().build()).create();
        client.resource(new GatewayBuilder().withNewMetadata().withName("grpc-network").withNamespace("apps").endMetadata()
                .withNewSpec().withGatewayClassName("amazon-vpc-lattice")
                .addNewListener().withName("https").withProtocol("HTTPS").withPort(443).endListener()
                .addNewListener().withName("http").withProtocol("HTTP").withPort(80).endListener()
                .endSpec().build()).create();
        backend("echo-v1", v1.getPort());
        backend("echo-v2", v2.getPort());
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (fixture != null) {
            fixture.close();
        }
        v1.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        v2.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void aGrpcRouteBecomesAnHttpsServiceWithPostPathRulesAndGrpcTargetGroupsThatRealCallsGoThrough() throws Exception {
        client.resource(new GRPCRouteBuilder().withNewMetadata().withName("echo").withNamespace("apps").endMetadata()
                .withNewSpec()
                .addNewParentRef().withName("grpc-network").withSectionName("https").endParentRef()
                .addNewRule()
                .addNewMatch().withNewMethod().withService("test.Echo").withMethod("Unary").endMethod()
                .addNewHeader().withName("x-version").withValue("v2").endHeader().endMatch()
                .addNewBackendRef().withName("echo-v2").withPort(50051).endBackendRef()
                .endRule()
                .addNewRule()
                .addNewMatch().withNewMethod().withService("test.Echo").endMethod().endMatch()
                .addNewBackendRef().withName("echo-v1").withPort(50051).endBackendRef()
                .endRule()
                .endSpec().build()).create();

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            GRPCRoute route = route("echo");
            assertThat(condition(route, "Accepted").getStatus()).isEqualTo("True");
            assertThat(condition(route, "ResolvedRefs").getStatus()).isEqualTo("True");
            assertThat(route.getMetadata().getFinalizers()).containsExactly("grpcroute.k8s.aws/resources");
            assertThat(route.getMetadata().getAnnotations()).containsKey(HttpRouteReconciler.ASSIGNED_DOMAIN_ANNOTATION);
            var listeners = client.resources(Gateway.class).inNamespace("apps").withName("grpc-network").get().getStatus()
                    .getListeners();
            assertThat(listeners).extracting(l -> l.getName() + ":" + l.getAttachedRoutes()).containsExactly("https:1", "http:0");
        });
        ServiceSummary service = service("echo-apps");
        assertThat(fixture.lattice.listTagsForResource(r -> r.resourceArn(service.arn())).tags())
                .containsEntry(LatticeTags.ROUTE_TYPE, "grpcroute");
        var listener = fixture.lattice.listListeners(r -> r.serviceIdentifier(service.id())).items();
        assertThat(listener).singleElement().satisfies(l -> {
            assertThat(l.name()).isEqualTo("echo-apps-443-https");
            assertThat(l.protocolAsString()).isEqualTo("HTTPS");
        });
        GetRuleResponse first = rule(service.id(), listener.get(0).id(), "k8s-rule-1");
        assertThat(first.match().httpMatch().method()).isEqualTo("POST");
        assertThat(first.match().httpMatch().pathMatch().match().exact()).isEqualTo("/test.Echo/Unary");
        assertThat(first.match().httpMatch().headerMatches()).singleElement()
                .satisfies(h -> assertThat(h.name() + "=" + h.match().exact()).isEqualTo("x-version=v2"));
        GetRuleResponse second = rule(service.id(), listener.get(0).id(), "k8s-rule-2");
        assertThat(second.match().httpMatch().method()).isEqualTo("POST");
        assertThat(second.match().httpMatch().pathMatch().match().prefix()).isEqualTo("/test.Echo/");
        var groups = fixture.lattice.listTargetGroups(r -> { }).items();
        assertThat(groups).hasSize(2).allSatisfy(g -> {
            var got = fixture.lattice.getTargetGroup(r -> r.targetGroupIdentifier(g.id()));
            assertThat(got.config().protocolAsString() + "/" + got.config().protocolVersionAsString()).isEqualTo("HTTP/GRPC");
            // Lattice's default for GRPC groups: no health check (so the gRPC servers are not probed with HTTP/1.1)
            assertThat(got.config().healthCheck().enabled()).isFalse();
            assertThat(fixture.lattice.listTagsForResource(r -> r.resourceArn(g.arn())).tags())
                    .containsEntry(LatticeTags.SOURCE_TYPE, "GRPCRoute")
                    .containsEntry(LatticeTags.PROTOCOL_VERSION, "GRPC");
        });

        // real gRPC calls through the gateway, over TLS with Lattice's certificate for the generated name
        String domain = route("echo").getMetadata().getAnnotations().get(HttpRouteReconciler.ASSIGNED_DOMAIN_ANNOTATION);
        try (InProcessGateway gateway = new InProcessGateway(fixture.controlPlane, fixture.vpcId, dataDir.resolve("gateway"))) {
            await().atMost(TIMEOUT).until(() -> gateway.port(443) > 0);
            ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gateway.port(443),
                            TlsChannelCredentials.newBuilder().trustManager(new ByteArrayInputStream(
                                    fixture.controlPlane.internalCa().certificatePem().getBytes(StandardCharsets.US_ASCII)))
                                    .build())
                    .overrideAuthority(domain).build();
            try {
                await().atMost(TIMEOUT).ignoreExceptions()
                        .untilAsserted(() -> assertThat(call(channel, UNARY, "hello", null)).isEqualTo("v1:Unary:hello"));
                assertThat(call(channel, UNARY, "hello", "v2")).isEqualTo("v2:Unary:hello");
                assertThat(call(channel, OTHER, "x", "v2")).isEqualTo("v1:Other:x");
                assertThatThrownBy(() -> call(channel, UNROUTED, "x", null))
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }

        client.resources(GRPCRoute.class).inNamespace("apps").withName("echo").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(route("echo")).isNull();
            assertThat(fixture.lattice.listServices(r -> { }).items()).isEmpty();
            assertThat(fixture.lattice.listTargetGroups(r -> { }).items()).isEmpty();
        });
    }

    @Test
    void aGrpcRouteOnAnHttpListenerIsNotAllowedAndAMethodWithoutServiceIsUnsupported() {
        // v1alpha2, as Gateway API before v1.1 serves GRPCRoutes (watched with GATEWAY_API_VERSIONS=v1beta1)
        client.resource(new io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.GRPCRouteBuilder()
                .withNewMetadata().withName("plain").withNamespace("apps").endMetadata()
                .withNewSpec()
                .addNewParentRef().withName("grpc-network").withSectionName("http").endParentRef()
                .addNewRule().addNewBackendRef().withName("echo-v1").withPort(50051).endBackendRef().endRule()
                .endSpec().build()).create();
        client.resource(new GRPCRouteBuilder().withNewMetadata().withName("anyservice").withNamespace("apps").endMetadata()
                .withNewSpec()
                .addNewParentRef().withName("grpc-network").withSectionName("https").endParentRef()
                .addNewRule()
                .addNewMatch().withNewMethod().withMethod("Unary").endMethod().endMatch()
                .addNewBackendRef().withName("echo-v1").withPort(50051).endBackendRef().endRule()
                .endSpec().build()).create();

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            var old = client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.GRPCRoute.class)
                    .inNamespace("apps").withName("plain").get();
            Condition plain = Conditions.find(old.getStatus().getParents().get(0).getConditions(), "Accepted");
            assertThat(plain.getStatus() + "/" + plain.getReason()).isEqualTo("False/NotAllowedByListeners");
            assertThat(plain.getMessage()).contains("a GRPCRoute attaches to HTTPS listeners only");
            Condition any = condition(route("anyservice"), "Accepted");
            assertThat(any.getStatus() + "/" + any.getReason()).isEqualTo("False/UnsupportedValue");
            assertThat(any.getMessage()).startsWith("rule 0: method matches must be Exact and name a service");
        });
        assertThat(fixture.lattice.listServices(r -> { }).items()).isEmpty();
    }

    private static String call(ManagedChannel channel, MethodDescriptor<String, String> method, String request,
            String version) {
        Metadata headers = new Metadata();
        if (version != null) {
            headers.put(VERSION, version);
        }
        var intercepted = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        return ClientCalls.blockingUnaryCall(intercepted, method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                request);
    }

    private static MethodDescriptor<String, String> unary(String service, String method) {
        return MethodDescriptor.newBuilder(TEXT, TEXT).setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, method)).build();
    }

    /** A cleartext HTTP/2 gRPC server answering test.Echo's two methods with "<who>:<method>:<request>". */
    private static Server echoServer(String who) throws IOException {
        ServerServiceDefinition echo = ServerServiceDefinition.builder("test.Echo")
                .addMethod(UNARY, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(who + ":Unary:" + request);
                    response.onCompleted();
                }))
                .addMethod(OTHER, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(who + ":Other:" + request);
                    response.onCompleted();
                }))
                .build();
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(echo).build().start();
    }

    private void backend(String name, int port) {
        client.resource(new ServiceBuilder().withNewMetadata().withName(name).withNamespace("apps").endMetadata()
                .withNewSpec().addNewPort().withPort(50051).withNewTargetPort(50051).endPort().endSpec().build()).create();
        client.resource(new EndpointSliceBuilder().withNewMetadata().withName(name + "-abcde").withNamespace("apps")
                .withLabels(Map.of("kubernetes.io/service-name", name)).endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses(List.of("127.0.0.1")).withNewConditions().withReady(true).endConditions()
                .endEndpoint()
                .addNewPort().withPort(port).withProtocol("TCP").endPort()
                .build()).create();
    }

    private GRPCRoute route(String name) {
        return client.resources(GRPCRoute.class).inNamespace("apps").withName(name).get();
    }

    private static Condition condition(GRPCRoute route, String type) {
        return Conditions.find(route.getStatus().getParents().get(0).getConditions(), type);
    }

    private ServiceSummary service(String name) {
        return fixture.lattice.listServices(r -> { }).items().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow();
    }

    private GetRuleResponse rule(String serviceId, String listenerId, String name) {
        var summary = fixture.lattice.listRules(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listenerId)).items()
                .stream().filter(r -> name.equals(r.name())).findFirst().orElseThrow();
        return fixture.lattice.getRule(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listenerId)
                .ruleIdentifier(summary.id()));
    }
}
