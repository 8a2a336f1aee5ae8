package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.controlplane.pki.IssuedCertificate;
import dev.trellis.controlplane.pki.KeyType;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.vpclattice.model.ServiceSummary;

/**
 * A route's custom domain beyond the service: the ACM certificate found by hostname for an HTTPS listener without the
 * certificate-arn option (and the notice when none is), a changed hostname reported instead of ignored, and the
 * ExternalDNS DNSEndpoint written only when its CRD is installed.
 */
@EnableKubernetesMockClient(crud = true)
class CustomDomainsControllerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    static {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    }

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dataDir;

    private ControllerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ControllerFixture(dataDir, client, Map.of());
        client.resource(new GatewayClassBuilder().withNewMetadata().withName("amazon-vpc-lattice").endMetadata()
                .withNewSpec().withControllerName(ControllerConfig.DEFAULT_CONTROLLER_NAME).endSpec().build()).create();
        client.resource(new GatewayBuilder().withNewMetadata().withName("shop-network").withNamespace("apps").endMetadata()
                .withNewSpec().withGatewayClassName("amazon-vpc-lattice")
                .addNewListener().withName("https").withProtocol("HTTPS").withPort(443)
                .withNewTls().withMode("Terminate").endTls().endListener()
                .endSpec().build()).create();
        client.resource(new ServiceBuilder().withNewMetadata().withName("web").withNamespace("apps").endMetadata()
                .withNewSpec().addNewPort().withPort(8080).withNewTargetPort(8080).endPort().endSpec().build()).create();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void anImportedCertificateIsFoundByHostnameAChangedHostnameIsReportedAndTheDnsEndpointFollowsTheService() {
        GatewayApiCrds.install(client, DnsEndpoint.GROUP, "dnsendpoints", "DNSEndpoint", "v1alpha1");
        String wildcard = importCertificate("*.example.com");
        String exact = importCertificate("shop.example.com");
        importCertificate("*.shop.example.com"); // covers a.shop.example.com, not shop.example.com

        client.resource(route("shop", "shop.example.com")).create();

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            Condition accepted = accepted("shop");
            assertThat(accepted.getStatus()).isEqualTo("True");
            assertThat(accepted.getMessage()).isEqualTo("HTTPS for shop.example.com is served with ACM certificate "
                    + exact + " (found by hostname)");
        });
        ServiceSummary service = service("shop-apps");
        assertThat(fixture.lattice.getService(r -> r.serviceIdentifier(service.id())).certificateArn())
                .isEqualTo(exact).isNotEqualTo(wildcard);
        HTTPRoute route = client.resources(HTTPRoute.class).inNamespace("apps").withName("shop").get();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            DnsEndpoint endpoint = client.resources(DnsEndpoint.class).inNamespace("apps").withName("shop-dns").get();
            assertThat(endpoint.getSpec().getEndpoints()).containsExactly(new DnsEndpoint.Endpoint("shop.example.com",
                    List.of(service.dnsEntry().domainName()), "CNAME", 300L));
            assertThat(endpoint.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
                assertThat(o.getUid()).isEqualTo(route.getMetadata().getUid());
                assertThat(o.getKind()).isEqualTo("HTTPRoute");
                assertThat(o.getController()).isTrue();
            });
            assertThat(endpoint.getMetadata().getLabels()).containsEntry(CustomDomains.ROUTE_NAME_LABEL, "shop");
        });

        // Lattice cannot change a service's custom domain: the route says so, the service and its record stay as they are
        client.resources(HTTPRoute.class).inNamespace("apps").withName("shop").edit(r -> {
            r.getSpec().setHostnames(List.of("cart.example.com"));
            return r;
        });
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            Condition accepted = accepted("shop");
            assertThat(accepted.getStatus() + "/" + accepted.getReason()).isEqualTo("True/Accepted");
            assertThat(accepted.getMessage()).contains("spec.hostnames[0] is cart.example.com but VPC Lattice service"
                    + " shop-apps keeps the custom domain name shop.example.com");
            assertThat(accepted.getMessage()).contains(LatticeNames.SERVICE_NAME_OVERRIDE);
        });
        assertThat(service("shop-apps").customDomainName()).isEqualTo("shop.example.com");
        assertThat(client.resources(DnsEndpoint.class).inNamespace("apps").withName("shop-dns").get().getSpec()
                .getEndpoints().get(0).getDnsName()).isEqualTo("shop.example.com");

        client.resources(HTTPRoute.class).inNamespace("apps").withName("shop").delete();
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            assertThat(client.resources(DnsEndpoint.class).inNamespace("apps").withName("shop-dns").get()).isNull();
            assertThat(fixture.lattice.listServices(r -> { }).items()).isEmpty();
        });
    }

    @Test
    void withoutACoveringCertificateLatticesServesTheRouteSaysSoAndALaterCertificateIsTakenWithoutCrdNoDnsEndpoint() {
        importCertificate("*.example.com"); // one label only: does not cover a.b.example.com
        importCertificate("other.example.org");

        client.resource(route("plain", "a.b.example.com")).create();

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
            Condition accepted = accepted("plain");
            assertThat(accepted.getStatus() + "/" + accepted.getReason()).isEqualTo("True/Accepted");
            assertThat(accepted.getMessage()).startsWith("no ISSUED ACM certificate covers a.b.example.com; the HTTPS"
                    + " listener serves VPC Lattice's certificate for the generated domain name only");
        });
        ServiceSummary service = service("plain-apps");
        assertThat(service.customDomainName()).isEqualTo("a.b.example.com");
        assertThat(fixture.lattice.getService(r -> r.serviceIdentifier(service.id())).certificateArn()).isNull();
        // the mock server would store a DNSEndpoint without its CRD; the controller must not write one
        assertThat(client.resources(DnsEndpoint.class).inAnyNamespace().list().getItems()).isEmpty();

        // a certificate imported afterwards is found by the route's periodic look (every minute), with no route change
        String later = importCertificate("*.b.example.com");
        await().atMost(Duration.ofSeconds(150)).ignoreExceptions().untilAsserted(() -> {
            assertThat(fixture.lattice.getService(r -> r.serviceIdentifier(service.id())).certificateArn()).isEqualTo(later);
            assertThat(accepted("plain").getMessage()).contains(later);
        });
    }

    private String importCertificate(String name) {
        IssuedCertificate issued = fixture.controlPlane.internalCa().issue(List.of(name), Duration.ofDays(30),
                KeyType.RSA_2048);
        return fixture.acm.importCertificate(r -> r.certificate(SdkBytes.fromUtf8String(issued.certificatePem()))
                .privateKey(SdkBytes.fromUtf8String(issued.privateKeyPem()))
                .certificateChain(SdkBytes.fromUtf8String(issued.chainPem()))).certificateArn();
    }

    private static HTTPRoute route(String name, String hostname) {
        return new HTTPRouteBuilder().withNewMetadata().withName(name).withNamespace("apps").endMetadata()
                .withNewSpec().withHostnames(hostname)
                .addNewParentRef().withName("shop-network").withSectionName("https").endParentRef()
                .addNewRule().addNewBackendRef().withName("web").withPort(8080).endBackendRef().endRule()
                .endSpec().build();
    }

    private Condition accepted(String route) {
        HTTPRoute r = client.resources(HTTPRoute.class).inNamespace("apps").withName(route).get();
        return Conditions.find(r.getStatus().getParents().get(0).getConditions(), "Accepted");
    }

    private ServiceSummary service(String name) {
        return fixture.lattice.listServices(r -> { }).items().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow();
    }
}
