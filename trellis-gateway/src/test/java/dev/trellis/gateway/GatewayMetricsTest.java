package dev.trellis.gateway;

import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_ID;
import static dev.trellis.gateway.support.Fixtures.REGION;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.datastore;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.service;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.gateway.admin.AdminServer;
import dev.trellis.gateway.metrics.GatewayMetrics;
import dev.trellis.gateway.support.PrometheusText;
import dev.trellis.gateway.support.Signer;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The admin port of a real gateway, scraped over a socket after real requests: request counts by service, target
 * group and status class, latency histograms, auth denials by reason, target health, snapshot revision and age,
 * and {@code /readyz} before and after the first snapshot.
 */
class GatewayMetricsTest {

    static final String LOCKED_ID = "svc-0444444444444444c";
    static final String LOCKED_DOMAIN = "locked-0444444444444444c.7d67968.vpc-lattice-svcs.us-west-2.on.aws";
    /** Lets only POST in: an anonymous GET is refused by the service-level policy. */
    static final String POST_ONLY = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
             "Action":"vpc-lattice-svcs:Invoke","Resource":"*",
             "Condition":{"StringEquals":{"vpc-lattice-svcs:RequestMethod":"POST"}}}]}""";

    final HttpClient http = HttpClient.newHttpClient();
    TestBackend target;
    GatewayMetrics metrics;
    TestGateway gateway;
    AdminServer admin;

    @BeforeEach
    void startTarget() throws Exception {
        target = TestBackend.start("datastore");
        metrics = GatewayMetrics.prometheus();
    }

    @AfterEach
    void stop() {
        if (admin != null) {
            admin.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        target.close();
    }

    private void start(VpcSnapshot snapshot) {
        gateway = TestGateway.start(snapshot, config -> config.metrics(metrics));
        admin = AdminServer.start("127.0.0.1", 0, metrics, gateway.snapshots(), gateway.server());
    }

    private VpcSnapshot twoServices(long revision) {
        ServiceEntry locked = service(LOCKED_ID, "locked", LOCKED_DOMAIN, null, AuthLevel.NONE,
                new AuthLevel("AWS_IAM", POST_ONLY), 60, http(80, defaultRule(forward("tg-v1", 1))));
        return snapshot(revision, List.of(datastore(http(80, defaultRule(forward("tg-v1", 1)))), locked),
                List.of(group("tg-v1", VPC_A, target)), List.of());
    }

    private HttpResponse<String> admin(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private PrometheusText scrape() throws Exception {
        HttpResponse<String> response = admin("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        return new PrometheusText(response.body());
    }

    @Test
    void readyzIsServiceUnavailableUntilASnapshotWithARevisionIsServedAndItsPortsAreBound() throws Exception {
        start(VpcSnapshot.empty(VPC_A, REGION));

        HttpResponse<String> before = admin("/readyz");
        assertThat(before.statusCode()).isEqualTo(503);
        assertThat(before.body()).isEqualTo("not ready: no snapshot received from the control plane yet (revision 0)\n");
        assertThat(admin("/healthz").statusCode()).isEqualTo(200);
        assertThat(Double.isNaN(scrape().value("trellis_gateway_snapshot_age_seconds"))).isTrue();

        gateway.snapshots().swap(twoServices(7));

        HttpResponse<String> after = admin("/readyz");
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(after.body()).isEqualTo("ready: revision 7\n");
        assertThat(scrape().value("trellis_gateway_snapshot_revision")).isEqualTo(7.0);
    }

    @Test
    void answersNotFoundAndMethodNotAllowedOnTheAdminPort() throws Exception {
        start(twoServices(1));

        HttpResponse<String> unknown = admin("/debug");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).isEqualTo("Not Found: the admin port serves /metrics, /healthz and /readyz\n");
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port()
                + "/metrics")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    @Test
    void countsRequestsByServiceTargetGroupAndStatusClassWithLatencyHistograms() throws Exception {
        start(twoServices(1));
        for (int i = 0; i < 3; i++) {
            assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/summary").statusCode()).isEqualTo(200);
        }
        assertThat(gateway.get("nobody.example.com", 80, "/").statusCode()).isEqualTo(404);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            PrometheusText text = scrape();
            assertThat(text.value("trellis_gateway_requests_total", "service", "datastore", "service_id",
                    DATASTORE_ID, "target_group", "tg-v1", "status_class", "2xx")).isEqualTo(3.0);
            assertThat(text.value("trellis_gateway_requests_total", "service", "-", "target_group", "-",
                    "status_class", "4xx")).isEqualTo(1.0);
            assertThat(text.value("trellis_gateway_request_duration_seconds_count", "service", "datastore",
                    "target_group", "tg-v1")).isEqualTo(3.0);
        });
        PrometheusText text = scrape();
        List<PrometheusText.Sample> buckets = text.find("trellis_gateway_request_duration_seconds_bucket",
                "service", "datastore", "target_group", "tg-v1");
        // A percentile histogram bounded to 1 ms .. 2 min: every request is in the +Inf bucket, and in some
        // bucket of at most 2 minutes too.
        assertThat(buckets).hasSizeBetween(10, 100);
        assertThat(text.value("trellis_gateway_request_duration_seconds_bucket", "service", "datastore",
                "target_group", "tg-v1", "le", "+Inf")).isEqualTo(3.0);
        assertThat(buckets).anyMatch(b -> !b.labels().get("le").equals("+Inf") && b.value() == 3.0);
        // Meters of the other pairs exist from the swap on, at zero.
        assertThat(text.value("trellis_gateway_requests_total", "service", "locked", "target_group", "tg-v1",
                "status_class", "2xx")).isZero();
        assertThat(text.value("trellis_gateway_active_connections")).isGreaterThanOrEqualTo(0.0);
        System.out.println("latency buckets per (service, target group): " + buckets.size());
    }

    @Test
    void countsAuthDenialsByKindAndReason() throws Exception {
        start(twoServices(1));

        HttpResponse<String> denied = gateway.get(LOCKED_DOMAIN, 80, "/");
        assertThat(denied.statusCode()).isEqualTo(403);
        Signer unknown = new Signer("AKIDNOTINTHESNAPSHOT", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        HttpResponse<String> badSignature = gateway.send(unknown.sign(gateway.request(DATASTORE_DOMAIN, 80, "/"),
                "GET", DATASTORE_DOMAIN, "/").GET().build());
        assertThat(badSignature.statusCode()).isEqualTo(403);
        assertThat(badSignature.body()).startsWith("UnrecognizedClientException: ");

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            PrometheusText text = scrape();
            assertThat(text.value("trellis_gateway_auth_denials_total", "service", "locked", "kind",
                    "authorization", "reason", "Service")).isEqualTo(1.0);
            assertThat(text.value("trellis_gateway_auth_denials_total", "service", "datastore", "kind",
                    "authentication", "reason", "UnrecognizedClientException")).isEqualTo(1.0);
            assertThat(text.value("trellis_gateway_requests_total", "service", "locked", "target_group", "-",
                    "status_class", "4xx")).isEqualTo(1.0);
        });
    }

    @Test
    void reportsTargetHealthPerTargetGroupAndState() throws Exception {
        start(twoServices(1));
        PrometheusText before = scrape();
        assertThat(before.value("trellis_gateway_targets", "target_group", "tg-v1", "state", "UNAVAILABLE"))
                .as("the group has no health check").isEqualTo(1.0);
        assertThat(before.value("trellis_gateway_targets", "target_group", "tg-v1", "state", "UNHEALTHY")).isZero();
        assertThat(before.value("trellis_gateway_targets", "target_group", "tg-v1", "state", "DRAINING")).isZero();

        gateway.snapshots().current().targetPool("tg-v1").targets().get(0).health().markUnhealthy();

        PrometheusText after = scrape();
        assertThat(after.value("trellis_gateway_targets", "target_group", "tg-v1", "state", "UNAVAILABLE")).isZero();
        assertThat(after.value("trellis_gateway_targets", "target_group", "tg-v1", "state", "UNHEALTHY"))
                .isEqualTo(1.0);
    }

    @Test
    void reportsTheSnapshotRevisionAndItsAgeAndDropsMetersOfRemovedServices() throws Exception {
        start(twoServices(1));
        assertThat(gateway.get(LOCKED_DOMAIN, 80, "/").statusCode()).isEqualTo(403);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(scrape().find(
                "trellis_gateway_requests_total", "service", "locked")).isNotEmpty());

        VpcSnapshot old = snapshot(2, List.of(datastore(http(80, defaultRule(forward("tg-v1", 1))))),
                List.of(group("tg-v1", VPC_A, target)), List.of());
        VpcSnapshot compiledAMinuteAgo = new VpcSnapshot(old.revision(), old.vpcId(), old.accountId(), old.region(),
                Instant.now().minusSeconds(60), old.services(), old.targetGroups(), old.peers(), old.credentials());
        gateway.snapshots().swap(compiledAMinuteAgo);

        PrometheusText text = scrape();
        assertThat(text.value("trellis_gateway_snapshot_revision")).isEqualTo(2.0);
        assertThat(text.value("trellis_gateway_snapshot_age_seconds")).isBetween(59.0, 120.0);
        assertThat(text.find("trellis_gateway_requests_total", "service", "locked")).isEmpty();
        assertThat(text.find("trellis_gateway_auth_denials_total", "service", "locked")).isEmpty();
        assertThat(text.find("trellis_gateway_requests_total", "service", "datastore")).isNotEmpty();
    }
}
