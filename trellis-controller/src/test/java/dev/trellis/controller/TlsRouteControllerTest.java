package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.controlplane.pki.IssuedCertificate;
import dev.trellis.controlplane.pki.KeyType;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TLSRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TLSRouteBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.vpclattice.model.ServiceSummary;

/**
 * TLSRoutes through fabric8's mock API server and the real control plane: a TLS_PASSTHROUGH listener forwarding to a
 * TCP target group, checked through the Lattice API, then a TLS handshake through an in-process gateway that ends at
 * the backend and shows the backend's own certificate; a TLSRoute without hostname is refused with the reason.
 */
@EnableKubernetesMockClient(crud = true)
class TlsRouteControllerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String HOST = "secure.example.com";

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dataDir;

    private ControllerFixture fixture;
    private SSLServerSocket backend;
    private IssuedCertificate backendCertificate;

    @BeforeEach
    void start() throws Exception {
        GatewayApiCrds.installGrpcAndTlsRoutes(client);
        fixture = new ControllerFixture(dataDir.resolve("control-plane"), client, Map.of());
        // the backend's own certificate (issued here by the control plane's CA only for convenience: what matters is
        // that the client sees exactly this certificate, which the gateway never holds)
        backendCertificate = fixture.controlPlane.internalCa().issue(List.of(HOST), Duration.ofDays(1), KeyType.EC_P256);
        backend = tlsBackend(backendCertificate);
        client.resource(new GatewayClassBuilder().withNewMetadata().withName("amazon-vpc-lattice").endMetadata()
                .withNewSpec().withControllerName(ControllerConfig.DEFAULT_CONTROLLER_NAME).endSpec().build()).create();
        client.resource(new GatewayBuilder().withNewMetadata().withName("tls-network").withNamespace("apps").endMetadata()
                .withNewSpec().withGatewayClassName("amazon-vpc-lattice")
                .addNewListener().withName("tls").withProtocol("TLS").withPort(443).withNewTls().withMode("Passthrough")
                .endTls().endListener()
                .endSpec().build()).create();
        client.resource(new ServiceBuilder().withNewMetadata().withName("secure").withNamespace("apps").endMetadata()
                .withNewSpec().addNewPort().withPort(8443).withNewTargetPort(8443).endPort().endSpec().build()).create();
        client.resource(new EndpointSliceBuilder().withNewMetadata().withName("secure-abcde").withNamespace("apps")
                .withLabels(Map.of("kubernetes.io/service-name", "secure")).endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses(List.of("127.0.0.1")).withNewConditions().withReady(true).endConditions()
                .endEndpoint()
                .addNewPort().withPort(backend.getLocalPort()).withProtocol("TCP").endPort()
                .build()).create();
    }

    @AfterEach
    void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
        backend.close();
    }

    @Test
    void aTlsRouteBecomesAPassthroughListenerToATcpGroupAndTheClientSeesTheBackendsOwnCertificate() throws Exception {
        client.resource(new TLSRouteBuilder().withNewMetadata().withName("secure").withNamespace("apps").endMetadata()
                .withNewSpec().withHostnames(HOST)
                .addNewParentRef().withName("tls-network").withSectionName("tls").endParentRef()
                .addNewRule().addNewBackendRef().withName("secure").withPort(8443).endBackendRef().endRule()
                .endSpec().build()).create();

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            TLSRoute route = route("secure");
            assertThat(condition(route, "Accepted").getStatus()).isEqualTo("True");
            assertThat(condition(route, "ResolvedRefs").getStatus()).isEqualTo("True");
            assertThat(route.getMetadata().getFinalizers()).containsExactly("tlsroute.k8s.aws/resources");
            var listener = client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway.class).inNamespace("apps")
                    .withName("tls-network").get().getStatus().getListeners().get(0);
            assertThat(listener.getSupportedKinds()).extracting(k -> k.getKind()).containsExactly("TLSRoute");
            assertThat(listener.getAttachedRoutes()).isEqualTo(1);
        });
        ServiceSummary service = fixture.lattice.listServices(r -> { }).items().stream()
                .filter(s -> s.name().equals("secure-apps")).findFirst().orElseThrow();
        assertThat(service.customDomainName()).isEqualTo(HOST);
        var listeners = fixture.lattice.listListeners(r -> r.serviceIdentifier(service.id())).items();
        assertThat(listeners).singleElement().satisfies(l -> {
            assertThat(l.name()).isEqualTo("secure-apps-443-tls");
            assertThat(l.protocolAsString()).isEqualTo("TLS_PASSTHROUGH");
            assertThat(l.port()).isEqualTo(443);
        });
        var group = fixture.lattice.listTargetGroups(r -> { }).items().get(0);
        var listener = fixture.lattice.getListener(r -> r.serviceIdentifier(service.id())
                .listenerIdentifier(listeners.get(0).id()));
        assertThat(listener.defaultAction().forward().targetGroups()).singleElement()
                .satisfies(t -> assertThat(t.targetGroupIdentifier()).isEqualTo(group.id()));
        assertThat(fixture.lattice.listRules(r -> r.serviceIdentifier(service.id()).listenerIdentifier(listener.id()))
                .items()).allMatch(r -> r.isDefault());
        var config = fixture.lattice.getTargetGroup(r -> r.targetGroupIdentifier(group.id())).config();
        assertThat(config.protocolAsString()).isEqualTo("TCP");
        assertThat(fixture.lattice.listTargets(r -> r.targetGroupIdentifier(group.id())).items())
                .singleElement().satisfies(t -> assertThat(t.port()).isEqualTo(backend.getLocalPort()));

        try (InProcessGateway gateway = new InProcessGateway(fixture.controlPlane, fixture.vpcId, dataDir.resolve("gateway"))) {
            await().atMost(TIMEOUT).until(() -> gateway.port(443) > 0);
            await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
                String[] seen = new String[1];
                X509Certificate peer = handshake(gateway.port(443), seen);
                assertThat(peer).isEqualTo(backendCertificate.certificate());
                assertThat(seen[0]).isEqualTo("backend:" + HOST);
            });
        }
    }

    @Test
    void aTlsRouteWithoutHostnameIsUnsupportedValueAndCreatesNothing() {
        client.resource(new TLSRouteBuilder().withNewMetadata().withName("nameless").withNamespace("apps").endMetadata()
                .withNewSpec()
                .addNewParentRef().withName("tls-network").withSectionName("tls").endParentRef()
                .addNewRule().addNewBackendRef().withName("secure").withPort(8443).endBackendRef().endRule()
                .endSpec().build()).create();

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            Condition accepted = condition(route("nameless"), "Accepted");
            assertThat(accepted.getStatus() + "/" + accepted.getReason()).isEqualTo("False/UnsupportedValue");
            assertThat(accepted.getMessage()).isEqualTo("a TLSRoute needs spec.hostnames: VPC Lattice serves TLS"
                    + " passthrough on the service's custom domain name only, which is hostnames[0]");
        });
        assertThat(fixture.lattice.listServices(r -> { }).items()).isEmpty();
    }

    /** A TLS handshake with {@link #HOST} as SNI; returns the peer's certificate and the backend's greeting. */
    private X509Certificate handshake(int port, String[] greeting) throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("ca", fixture.controlPlane.internalCa().certificate());
        trust.init(anchors);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(HOST)));
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            Certificate[] chain = socket.getSession().getPeerCertificates();
            greeting[0] = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return (X509Certificate) chain[0];
        }
    }

    /** A TLS server with {@code certificate} that greets each client with "backend:<SNI it asked for>" and closes. */
    private static SSLServerSocket tlsBackend(IssuedCertificate certificate) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        Certificate[] chain = new Certificate[certificate.chain().size() + 1];
        chain[0] = certificate.certificate();
        for (int i = 0; i < certificate.chain().size(); i++) {
            chain[i + 1] = certificate.chain().get(i);
        }
        keys.setKeyEntry("backend", certificate.privateKey(), new char[0], chain);
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(managers.getKeyManagers(), null, null);
        SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (SSLSocket socket = (SSLSocket) server.accept()) {
                    socket.setSoTimeout(5000);
                    socket.startHandshake();
                    String sni = ((javax.net.ssl.ExtendedSSLSession) socket.getSession()).getRequestedServerNames()
                            .stream().map(n -> ((SNIHostName) n).getAsciiName()).findFirst().orElse("none");
                    OutputStream out = socket.getOutputStream();
                    out.write(("backend:" + sni + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (Exception e) {
                    // a closed server socket ends the loop; a failed handshake (a probe) is the client's problem
                }
            }
        }, "tls-backend");
        acceptor.setDaemon(true);
        acceptor.start();
        return server;
    }

    private TLSRoute route(String name) {
        return client.resources(TLSRoute.class).inNamespace("apps").withName(name).get();
    }

    private static Condition condition(TLSRoute route, String type) {
        return Conditions.find(route.getStatus().getParents().get(0).getConditions(), type);
    }
}
