package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.Target;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;

/**
 * {@code trellis gateway} as users run it: a separate JVM configured by a separate control-plane JVM through the
 * public APIs, proxying to a real backend; and static stability — with the control plane gone, a restarted gateway
 * serves from its persisted snapshot.
 */
class GatewayCommandTest {

    @TempDir
    Path dir;

    private HttpServer backend;
    private ServerProcess controlPlane;
    private VpcLatticeClient lattice;
    private String vpcId;
    private String domainName;
    private int listenerLocalPort;
    private String group;

    @BeforeEach
    void configure() throws IOException {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", exchange -> {
            byte[] body = ("backend saw " + exchange.getRequestURI().getPath() + " from "
                    + exchange.getRequestHeaders().getFirst("x-amzn-source-vpc")).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        backend.start();

        controlPlane = ServerProcess.start(dir.resolve("cp"), "h2");
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(controlPlane.accessKeyId(), controlPlane.secretAccessKey()));
        try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build()) {
            vpcId = ec2.createVpc(r -> r.cidrBlock("10.0.0.0/24")).vpc().vpcId();
        }
        lattice = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build();
        String network = lattice.createServiceNetwork(r -> r.name("eks-lattice-network")).id();
        lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(network).vpcIdentifier(vpcId));
        var service = lattice.createService(r -> r.name("datastore"));
        domainName = service.dnsEntry().domainName();
        group = lattice.createTargetGroup(r -> r.name("datastore-v1").type(TargetGroupType.IP)
                .config(c -> c.port(3000).protocol("HTTP").vpcIdentifier(vpcId)
                        .healthCheck(h -> h.enabled(true).healthCheckIntervalSeconds(5)))).id();
        lattice.registerTargets(r -> r.targetGroupIdentifier(group).targets(Target.builder().id("127.0.0.1")
                .port(backend.getAddress().getPort()).build()));
        lattice.createListener(r -> r.serviceIdentifier(service.id()).name("http").protocol(ListenerProtocol.HTTP)
                .port(80).defaultAction(a -> a.forward(f -> f.targetGroups(t -> t.targetGroupIdentifier(group)))));
        lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(network)
                .serviceIdentifier(service.id()));
        listenerLocalPort = freePort();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (lattice != null) {
            lattice.close();
        }
        controlPlane.close();
        backend.stop(0);
    }

    private GatewayProcess gateway(Path dataDir) throws IOException {
        return GatewayProcess.start(null, vpcId, controlPlane.endpoint(), controlPlane.accessKeyId(),
                controlPlane.secretAccessKey(), dataDir, "--bind", "127.0.0.1",
                "--port-offset", String.valueOf(listenerLocalPort - 80), "--admin-port", "0", "--dns-port", "0");
    }

    @Test
    void aGatewayProxiesAndKeepsServingFromItsPersistedSnapshotWhenTheControlPlaneIsGone() throws Exception {
        Path gatewayData = dir.resolve("gateway");
        try (GatewayProcess gateway = gateway(gatewayData)) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> get("/summary").startsWith("200"));
            assertThat(get("/summary")).isEqualTo("200 backend saw /summary from " + vpcId);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(lattice.listTargets(
                    r -> r.targetGroupIdentifier(group)).items()).singleElement()
                    .satisfies(t -> assertThat(t.statusAsString()).as("health the gateway reported")
                            .isEqualTo("HEALTHY")));
            gateway.terminate();
        }

        controlPlane.kill();

        try (GatewayProcess restarted = gateway(gatewayData)) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> get("/popular").startsWith("200"));
            assertThat(get("/popular")).isEqualTo("200 backend saw /popular from " + vpcId);
            assertThat(restarted.log()).contains("serving the persisted snapshot");
        }
    }

    @Test
    void anUnknownHostGets404AndTheAdminPortShowsReadinessAndMetrics() throws Exception {
        try (GatewayProcess gateway = gateway(dir.resolve("gateway"))) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> get("/summary").startsWith("200"));
            assertThat(request("nothing.example.com", "/")).startsWith("404");

            URI admin = URI.create(gateway.output().stream().filter(l -> l.startsWith("Admin port: "))
                    .findFirst().orElseThrow().split(" ")[2]);
            HttpClient http = HttpClient.newHttpClient();
            assertThat(http.send(HttpRequest.newBuilder(admin.resolve("/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            String metrics = http.send(HttpRequest.newBuilder(admin.resolve("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).containsPattern("trellis_gateway_requests_total\\{[^}]*service=\"datastore\""
                    + "[^}]*status_class=\"2xx\"[^}]*} [1-9]");
        }
    }

    private String get(String path) {
        return request(domainName, path);
    }

    /** One HTTP/1.1 request with {@code host} as Host; "status body", or "error ..." when nothing answered. */
    private String request(String host, String path) {
        try (Socket socket = new Socket("127.0.0.1", listenerLocalPort)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String status = response.substring(response.indexOf(' ') + 1, response.indexOf(' ') + 4);
            return status + " " + response.substring(response.indexOf("\r\n\r\n") + 4);
        } catch (IOException | RuntimeException e) {
            return "error " + e;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
