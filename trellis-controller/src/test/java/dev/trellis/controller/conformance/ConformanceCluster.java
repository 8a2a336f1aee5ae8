package dev.trellis.controller.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.controller.ControllerConfig;
import dev.trellis.controller.ControllerMetrics;
import dev.trellis.controller.HttpRouteReconciler;
import dev.trellis.controller.ReferenceFiles;
import dev.trellis.controller.TrellisController;
import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.controlplane.pki.IssuedCertificate;
import dev.trellis.controlplane.pki.KeyType;
import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewayServer;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.snapshot.SnapshotClient;
import dev.trellis.model.snapshot.VpcSnapshot;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.acm.AcmClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;

/**
 * The conformance suite's environment, once for all cases: fabric8's mock API server (CRUD mode), a real in-process
 * Trellis control plane as VPC Lattice, the controller, one in-process gateway for the cluster VPC, the base manifests
 * ({@code gateway-api/conformance/base/manifests.yaml}) applied as they are — except that each Deployment is replaced by
 * an {@link EchoBackend} on loopback and an EndpointSlice pointing at it for every Service that selects its pods.
 *
 * <p>How a case's "Gateway address" maps: Lattice has no shared address per Gateway; each route is a service with its
 * own DNS name. A request the upstream case sends to the Gateway's address without a Host goes to the gateway with
 * Host = the route's {@code lattice-assigned-domain-name}; a request with a Host keeps it (it must then be the route's
 * custom domain, {@code hostnames[0]}). docs/conformance.md lists what this means case by case.
 */
final class ConformanceCluster implements AutoCloseable {

    static final String GATEWAY_CLASS = "trellis-conformance";
    static final String INFRA = "gateway-conformance-infra";
    static final String WEB = "gateway-conformance-web-backend";
    static final String APP = "gateway-conformance-app-backend";
    /** Generous: the machine is shared; a passing case takes a few seconds. */
    static final Duration TIMEOUT = Duration.ofSeconds(45);
    /** Upstream's RequiredConsecutiveSuccesses. */
    private static final int CONSECUTIVE = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    final KubernetesClient client;
    final ControlPlane controlPlane;
    final VpcLatticeClient lattice;
    final String vpcId;
    /** The GRPCRoute cases' HTTPS variant: every HTTP listener of an applied Gateway becomes HTTPS on 443. */
    final boolean grpcOnHttps;
    private final AcmClient acm;
    private final TrellisController controller;
    private final GatewayServer gateway;
    private final SnapshotClient snapshots;
    /** Echo servers by namespace/deployment, and the pod labels of each deployment. */
    private final Map<String, EchoBackend> echoes = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> podLabels = new ConcurrentHashMap<>();

    ConformanceCluster(KubernetesClient client, Path dataDir) throws Exception {
        this(client, dataDir, false);
    }

    /**
     * @param grpcOnHttps the GRPCRoute cases' HTTPS variant (docs/conformance.md): the GRPCRoute CRD is installed, the
     *                    HTTP listeners of every Gateway applied (base manifests included) are rewritten to HTTPS on
     *                    port 443 — VPC Lattice serves gRPC on HTTPS listeners only — and the controller has an ACM
     *                    client, so routes with a custom domain find the certificates a case imports
     */
    ConformanceCluster(KubernetesClient client, Path dataDir, boolean grpcOnHttps) throws Exception {
        this.client = client;
        this.grpcOnHttps = grpcOnHttps;
        // Lattice's rules-per-listener quota (10) is adjustable; the precedence cases need more Lattice rules than
        // route rules (docs/conformance.md), as a quota increase would give on AWS
        ControlPlaneConfig defaults = ControlPlaneConfig.defaults("us-west-2", "111122223333");
        ControlPlaneConfig config = new ControlPlaneConfig(defaults.partition(), defaults.region(), defaults.accountId(),
                defaults.dnsSuffix(), defaults.quotas().with("rules-per-listener", 100), Duration.ZERO);
        controlPlane = ControlPlane.start(new ControlPlane.Options(dataDir.resolve("control-plane"), "127.0.0.1", 0, "h2",
                config), Clock.systemUTC());
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey()));
        try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build()) {
            vpcId = ec2.createVpc(r -> r.cidrBlock("10.0.0.0/16")).vpc().vpcId();
        }
        lattice = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build();
        acm = AcmClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build();
        if (grpcOnHttps) {
            // as Gateway API's standard channel installs it; the controller watches GRPCRoutes only when served
            client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                    .withNewMetadata().withName("grpcroutes.gateway.networking.k8s.io").endMetadata()
                    .withNewSpec().withGroup("gateway.networking.k8s.io").withScope("Namespaced")
                    .withNewNames().withPlural("grpcroutes").withKind("GRPCRoute").endNames()
                    .addNewVersion().withName("v1").withServed(true).withStorage(true).endVersion()
                    .endSpec().build()).create();
        }
        ControllerConfig controllerConfig = ControllerConfig.fromEnvironment(Map.ofEntries(
                // /metrics on a free port, not :8080, which another process on the machine may hold
                Map.entry("METRICS_BIND_ADDRESS", "127.0.0.1:0"),
                Map.entry("CLUSTER_NAME", "conformance"),
                Map.entry("CLUSTER_VPC_ID", vpcId),
                Map.entry("AWS_ACCOUNT_ID", "111122223333"),
                Map.entry("REGION", "us-west-2"),
                // as the AWS controller's conformance set-up (controller-facts §3): a VPC can be associated with one
                // service network only, and the base manifests hold five Gateways, so they all map to one network
                Map.entry("ENABLE_SERVICE_NETWORK_OVERRIDE", "true"),
                Map.entry("DEFAULT_SERVICE_NETWORK", "conformance-test"),
                Map.entry("LATTICE_ENDPOINT", controlPlane.endpoint().toString()),
                // the conformance manifests are all v1
                Map.entry("GATEWAY_API_VERSIONS", "v1"),
                Map.entry("HEALTH_PROBE_BIND_ADDRESS", "127.0.0.1:0")));
        controller = (grpcOnHttps ? new TrellisController(controllerConfig, client, lattice, acm, new ControllerMetrics())
                : new TrellisController(controllerConfig, client, lattice)).start();

        client.resource(new GatewayClassBuilder().withNewMetadata().withName(GATEWAY_CLASS).endMetadata()
                .withNewSpec().withControllerName(ControllerConfig.DEFAULT_CONTROLLER_NAME).endSpec().build()).create();
        apply("base/manifests.yaml");

        GatewaySnapshots current = new GatewaySnapshots(VpcSnapshot.empty(vpcId, config.region()));
        // every listener port a case uses is bound on a free local port; send() looks the port up per request
        gateway = new GatewayServer(GatewayConfig.builder().bindAddress("127.0.0.1").mapPort(80, 0).mapPort(443, 0)
                .mapPort(8080, 0).mapPort(8090, 0).ioThreads(2).build(), current).start();
        snapshots = new SnapshotClient(new SnapshotClient.Settings(controlPlane.endpoint(), vpcId, config.region(),
                admin.accessKeyId(), admin.secretAccessKey(), dataDir.resolve("gateway")), current::swap);
        snapshots.start();
    }

    /**
     * Applies a manifest of {@code gateway-api/conformance/} as it is ({@code {GATEWAY_CLASS_NAME}} filled in, as the
     * upstream suite templates it): Deployments become echo backends, Services get EndpointSlices for them, and
     * EndpointSlices without endpoints (the suite's "manual" slices) are filled with infra-backend-v1's pod, as the
     * upstream test does. Returns what was created, for {@link #delete}.
     */
    List<HasMetadata> apply(String relative) throws IOException {
        String yaml = Files.readString(ReferenceFiles.resolve("gateway-api/conformance/" + relative))
                .replace("{GATEWAY_CLASS_NAME}", GATEWAY_CLASS);
        List<HasMetadata> items;
        try (InputStream in = new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))) {
            items = client.load(in).items();
        }
        List<HasMetadata> created = new ArrayList<>();
        List<Service> services = new ArrayList<>();
        for (HasMetadata item : items) {
            if (item instanceof Deployment deployment) {
                String key = deployment.getMetadata().getNamespace() + "/" + deployment.getMetadata().getName();
                echoes.put(key, new EchoBackend(deployment.getMetadata().getNamespace(), deployment.getMetadata().getName(),
                        isGrpcEcho(deployment)));
                podLabels.put(key, deployment.getSpec().getTemplate().getMetadata().getLabels());
                continue;
            }
            if (item instanceof EndpointSlice slice && (slice.getEndpoints() == null || slice.getEndpoints().isEmpty())) {
                item = filled(slice);
            }
            if (grpcOnHttps && item instanceof Gateway gateway) {
                toHttps(gateway);
            }
            created.add(handle(item).create());
            if (item instanceof Service service) {
                services.add(service);
            }
        }
        for (Service service : services) {
            EndpointSlice slice = sliceFor(service);
            if (slice != null) {
                created.add(client.resource(slice).create());
            }
        }
        return created;
    }

    /** echo-basic serves gRPC instead of HTTP when its container has {@code GRPC_ECHO_SERVER=1}. */
    private static boolean isGrpcEcho(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                .flatMap(c -> c.getEnv() == null ? java.util.stream.Stream.<EnvVar>empty() : c.getEnv().stream())
                .anyMatch(e -> "GRPC_ECHO_SERVER".equals(e.getName()) && "1".equals(e.getValue()));
    }

    /**
     * The HTTPS variant's rewrite of a Gateway: each HTTP listener becomes HTTPS on 443, everything else (names,
     * hostnames, allowedRoutes) as written. No certificateRefs: Lattice serves its own certificate for the generated
     * name, and the ACM certificate for a custom domain (the controller finds it by hostname).
     */
    private static void toHttps(Gateway gateway) {
        for (Listener listener : gateway.getSpec().getListeners()) {
            if ("HTTP".equals(listener.getProtocol())) {
                listener.setProtocol("HTTPS");
                listener.setPort(443);
            }
        }
    }

    /** The echo backend whose pods the Service selects, or null (no selector: its slices are made by hand). */
    private EndpointSlice sliceFor(Service service) {
        Map<String, String> selector = service.getSpec().getSelector();
        if (selector == null || selector.isEmpty()) {
            return null;
        }
        String namespace = service.getMetadata().getNamespace();
        EchoBackend echo = echoes.entrySet().stream()
                .filter(e -> e.getKey().startsWith(namespace + "/"))
                .filter(e -> podLabels.get(e.getKey()).entrySet().containsAll(selector.entrySet()))
                .map(Map.Entry::getValue).findFirst().orElse(null);
        if (echo == null) {
            return null;
        }
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata().withName(service.getMetadata().getName() + "-echo").withNamespace(namespace)
                .addToLabels("kubernetes.io/service-name", service.getMetadata().getName()).endMetadata()
                .withAddressType("IPv4")
                .addToEndpoints(new EndpointBuilder().withAddresses("127.0.0.1").withNewConditions().withReady(true)
                        .endConditions().withNewTargetRef().withKind("Pod").withName(echo.pod).withNamespace(namespace)
                        .endTargetRef().build());
        // every Service port reaches the one echo server (the suite's echo serves each of its ports the same way)
        for (ServicePort port : service.getSpec().getPorts()) {
            slice.addToPorts(new EndpointPortBuilder().withName(port.getName()).withPort(echo.port(port)).withProtocol("TCP")
                    .build());
        }
        return slice.build();
    }

    /** A manual slice filled as the upstream ServiceTypes test fills it: infra-backend-v1's pod (IPv4 only here). */
    private EndpointSlice filled(EndpointSlice slice) {
        if (!"IPv4".equals(slice.getAddressType())) {
            return slice;
        }
        EchoBackend echo = echo(INFRA, "infra-backend-v1");
        EndpointSliceBuilder builder = new EndpointSliceBuilder(slice)
                .withEndpoints(new EndpointBuilder().withAddresses("127.0.0.1").withNewConditions().withReady(true)
                        .endConditions().build());
        builder.withPorts(slice.getPorts().stream().map(p -> new EndpointPortBuilder(p).withPort(echo.port()).build())
                .toList());
        return builder.build();
    }

    EchoBackend echo(String namespace, String deployment) {
        return Objects.requireNonNull(echoes.get(namespace + "/" + deployment), namespace + "/" + deployment);
    }

    /**
     * Deletes what {@link #apply} created and waits until it is gone from the API server — routes and Gateways only
     * go once the controller has removed their Lattice resources and finalizers — and nothing of a route is left in
     * Lattice, so the next case starts clean.
     */
    void delete(List<HasMetadata> created) {
        List<HasMetadata> reversed = new ArrayList<>(created);
        Collections.reverse(reversed);
        for (HasMetadata item : reversed) {
            handle(item).delete();
        }
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            for (HasMetadata item : reversed) {
                assertThat(handle(item).get()).as("%s %s", item.getKind(), item.getMetadata().getName()).isNull();
            }
            assertThat(lattice.listServices(r -> { }).items()).as("Lattice services left").isEmpty();
        });
    }

    /** Deletes one object and waits until it is gone. */
    void deleteNow(HasMetadata item) {
        handle(item).delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(handle(item).get()).isNull());
    }

    /**
     * The API handle of an object. fabric8's model has no v1 ReferenceGrant, so those load as generic resources and
     * are addressed with their full definition (the mock server has no discovery to find it).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private Resource<HasMetadata> handle(HasMetadata item) {
        if (item instanceof GenericKubernetesResource generic && "ReferenceGrant".equals(generic.getKind())) {
            String[] apiVersion = generic.getApiVersion().split("/");
            ResourceDefinitionContext context = new ResourceDefinitionContext.Builder().withGroup(apiVersion[0])
                    .withVersion(apiVersion[1]).withKind("ReferenceGrant").withPlural("referencegrants")
                    .withNamespaced(true).build();
            return (Resource) client.genericKubernetesResources(context).inNamespace(generic.getMetadata().getNamespace())
                    .resource(generic);
        }
        return (Resource) client.resource(item);
    }

    /** The local port of the gateway's listener {@code port}, or -1 while it does not listen there. */
    int gatewayPort(int port) {
        return gateway.localPort(port);
    }

    /** The control plane's CA, which issues Lattice's certificates (and the ones a case imports into ACM) here. */
    String caPem() {
        return controlPlane.internalCa().certificatePem();
    }

    /** Imports a certificate for {@code name} into ACM, as a user does for a custom domain; returns its ARN. */
    String importCertificate(String name) {
        IssuedCertificate issued = controlPlane.internalCa().issue(List.of(name), Duration.ofDays(30), KeyType.RSA_2048);
        return acm.importCertificate(r -> r.certificate(SdkBytes.fromUtf8String(issued.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(issued.privateKeyPem()))
                .certificateChain(SdkBytes.fromUtf8String(issued.chainPem()))).certificateArn();
    }

    GRPCRoute grpcRoute(String namespace, String name) {
        return client.resources(GRPCRoute.class).inNamespace(namespace).withName(name).get();
    }

    /** As {@link #awaitAccepted} for a GRPCRoute: all parents Accepted with ResolvedRefs; returns the generated name. */
    String awaitGrpcAccepted(String namespace, String name) {
        return await().atMost(TIMEOUT).ignoreExceptions().until(() -> {
            GRPCRoute route = grpcRoute(namespace, name);
            List<RouteParentStatus> parents = route.getStatus().getParents();
            if (parents.isEmpty() || !parents.stream().allMatch(p -> isTrue(p, "Accepted") && isTrue(p, "ResolvedRefs"))) {
                return null;
            }
            return route.getMetadata().getAnnotations().get(HttpRouteReconciler.ASSIGNED_DOMAIN_ANNOTATION);
        }, Objects::nonNull);
    }

    HTTPRoute route(String namespace, String name) {
        return client.resources(HTTPRoute.class).inNamespace(namespace).withName(name).get();
    }

    /**
     * Waits until the route is accepted by all its parents with resolved references, as upstream's
     * {@code GatewayAndHTTPRoutesMustBeAccepted} does, and the controller wrote the service's generated name; returns it.
     */
    String awaitAccepted(String namespace, String name) {
        return await().atMost(TIMEOUT).ignoreExceptions().until(() -> {
            HTTPRoute route = route(namespace, name);
            List<RouteParentStatus> parents = route.getStatus().getParents();
            if (parents.isEmpty() || !parents.stream().allMatch(p -> isTrue(p, "Accepted") && isTrue(p, "ResolvedRefs"))) {
                return null;
            }
            return route.getMetadata().getAnnotations().get(HttpRouteReconciler.ASSIGNED_DOMAIN_ANNOTATION);
        }, Objects::nonNull);
    }

    /** Waits until the route's generated name is written back (its service exists), whatever its conditions say. */
    String awaitDeployed(String namespace, String name) {
        return await().atMost(TIMEOUT).ignoreExceptions().until(() -> route(namespace, name).getMetadata().getAnnotations()
                .get(HttpRouteReconciler.ASSIGNED_DOMAIN_ANNOTATION), Objects::nonNull);
    }

    /** Waits until every parent entry of the route has condition {@code type} = status/reason for the current generation. */
    void awaitParentCondition(String namespace, String name, String type, String status, String reason) {
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            HTTPRoute route = route(namespace, name);
            assertThat(route.getStatus().getParents()).isNotEmpty().allSatisfy(p -> {
                Condition c = condition(p.getConditions(), type);
                assertThat(c).as("condition %s on %s", type, p.getParentRef().getName()).isNotNull();
                assertThat(c.getStatus() + "/" + c.getReason()).isEqualTo(status + "/" + reason);
                assertThat(c.getObservedGeneration()).isEqualTo(route.getMetadata().getGeneration());
            });
        });
    }

    static Condition condition(List<Condition> conditions, String type) {
        return conditions == null ? null : conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private static boolean isTrue(RouteParentStatus parent, String type) {
        Condition c = condition(parent.getConditions(), type);
        return c != null && "True".equals(c.getStatus());
    }

    /** One request of a case: sent to the gateway's listener {@code port} with this Host, method, path and headers. */
    record Request(String host, int port, String method, String path, Map<String, String> headers) {
        static Request get(String host, String path) {
            return new Request(host, 80, "GET", path, Map.of());
        }

        Request method(String m) {
            return new Request(host, port, m, path, headers);
        }

        Request header(String name, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(name, value);
            return new Request(host, port, method, path, more);
        }
    }

    /** What came back: status, headers (lower-case names) and, for an echo answer, its JSON. */
    record Response(int status, Map<String, List<String>> headers, JsonNode echo, String body) {
    }

    /** One HTTP/1.1 exchange with the gateway (a raw socket, so any Host can be sent). */
    Response send(Request request) throws IOException {
        int local = gateway.localPort(request.port());
        if (local < 0) {
            throw new IOException("the gateway does not listen on port " + request.port() + " (yet)");
        }
        try (Socket socket = new Socket("127.0.0.1", local)) {
            socket.setSoTimeout(10_000);
            StringBuilder head = new StringBuilder(request.method() + " " + request.path() + " HTTP/1.1\r\nHost: "
                    + request.host() + "\r\nConnection: close\r\n");
            request.headers().forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            head.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int headEnd = response.indexOf("\r\n\r\n");
            if (headEnd < 0) {
                throw new IOException("no complete response: " + response);
            }
            String[] lines = response.substring(0, headEnd).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, List<String>> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).trim());
            }
            String body = response.substring(headEnd + 4);
            JsonNode echo = null;
            if (body.startsWith("{") && headers.getOrDefault("content-type", List.of()).contains("application/json")) {
                echo = JSON.readTree(body);
            }
            return new Response(status, headers, echo, body);
        }
    }

    /**
     * Sends the request until it gives the expected answer {@value #CONSECUTIVE} times in a row (upstream's
     * eventual-consistency check), and checks the answer as upstream's {@code CompareRequest}: the status; on 200 the
     * pod name starts with {@code backend}, the namespace matches, and the upstream path, method and Host are the
     * request's.
     */
    void expect(Request request, int status, String namespace, String backend) {
        int[] streak = {0};
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            try {
                check(send(request), request, status, namespace, backend);
                streak[0]++;
            } catch (AssertionError | IOException e) {
                streak[0] = 0;
                throw e instanceof AssertionError a ? a : new AssertionError(e);
            }
            assertThat(streak[0]).as("consecutive successes").isGreaterThanOrEqualTo(CONSECUTIVE);
        });
    }

    void expect(Request request, String backend) {
        expect(request, 200, INFRA, backend);
    }

    static void check(Response response, Request request, int status, String namespace, String backend) {
        String what = request.method() + " " + request.host() + request.path() + " " + request.headers();
        assertThat(response.status()).as("status of %s (body %s)", what, response.body()).isEqualTo(status);
        if (status != 200) {
            return;
        }
        assertThat(response.echo()).as("echo answer to %s", what).isNotNull();
        assertThat(response.echo().path("pod").asText()).as("pod answering %s", what).startsWith(backend);
        assertThat(response.echo().path("namespace").asText()).as("namespace answering %s", what).isEqualTo(namespace);
        assertThat(response.echo().path("path").asText()).as("upstream path of %s", what).isEqualTo(request.path());
        assertThat(response.echo().path("method").asText()).as("upstream method of %s", what).isEqualTo(request.method());
        assertThat(response.echo().path("host").asText()).as("upstream host of %s", what).isEqualTo(request.host());
    }

    @Override
    public void close() {
        snapshots.close();
        gateway.close();
        controller.close();
        acm.close();
        lattice.close();
        controlPlane.close();
        echoes.values().forEach(EchoBackend::close);
    }
}
