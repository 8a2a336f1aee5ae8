package dev.trellis.gateway;

import static dev.trellis.gateway.support.Fixtures.DATASTORE_CUSTOM;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.VPC_B;
import static dev.trellis.gateway.support.Fixtures.datastore;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.pathPrefix;
import static dev.trellis.gateway.support.Fixtures.rule;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.support.Fixtures;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.HttpMatch;
import dev.trellis.model.snapshot.RuleAction;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Routing through a real gateway: host and port, rules, weights, round robin, fail-open. */
class GatewayRoutingTest {

    static TestBackend v1;
    static TestBackend v2;
    static TestBackend other;
    static TestGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        v1 = TestBackend.start("datastore-v1");
        v2 = TestBackend.start("datastore-v2");
        other = TestBackend.start("frontend");
        VpcSnapshot snapshot = snapshot(1, List.of(
                datastore(http(80,
                        rule(10, pathPrefix("/popular"), forward("tg-v1", 100)),
                        rule(20, pathPrefix("/summary"), forward("tg-v1", 50, "tg-v2", 50)),
                        rule(30, new HttpMatch("DELETE", null, List.of()), RuleAction.fixedResponse(500)),
                        rule(40, pathPrefix("/remote"), forward("tg-remote", 1)),
                        defaultRule(RuleAction.fixedResponse(404))),
                        http(8080, defaultRule(forward("tg-v2", 1)))),
                Fixtures.service("svc-0222222222222222a", "frontend",
                        "frontend-0222222222222222a.7d67968.vpc-lattice-svcs.us-west-2.on.aws", null,
                        AuthLevel.NONE, AuthLevel.NONE, 60, http(80, defaultRule(forward("tg-frontend", 1))))),
                List.of(group("tg-v1", VPC_A, v1), group("tg-v2", VPC_A, v2), group("tg-frontend", VPC_A, other),
                        group("tg-remote", VPC_B, 3000)),
                List.of());
        gateway = TestGateway.start(snapshot);
    }

    @AfterAll
    static void stop() {
        gateway.close();
        v1.close();
        v2.close();
        other.close();
    }

    @BeforeEach
    void clear() {
        v1.drain();
        v2.drain();
        other.drain();
        gateway.accessLog().clear();
    }

    @Test
    void routesByHostAndListenerPortToTheServicesRules() throws Exception {
        assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/popular").body()).isEqualTo("datastore-v1");
        assertThat(gateway.get(DATASTORE_CUSTOM, 80, "/popular/today").body()).isEqualTo("datastore-v1");
        assertThat(gateway.get(DATASTORE_DOMAIN, 8080, "/popular").body()).isEqualTo("datastore-v2");
        assertThat(gateway.get("frontend-0222222222222222a.7d67968.vpc-lattice-svcs.us-west-2.on.aws", 80, "/")
                .body()).isEqualTo("frontend");
        assertThat(gateway.get(DATASTORE_DOMAIN.toUpperCase() + ":80", 80, "/popular").body())
                .isEqualTo("datastore-v1");
    }

    @Test
    void answersNotFoundForAHostNoServiceReachableFromThisVpcAnswersTo() throws Exception {
        HttpResponse<String> unknown = gateway.get("billing.example.com", 80, "/popular");
        HttpResponse<String> wrongPort = gateway.get("frontend-0222222222222222a.7d67968.vpc-lattice-svcs."
                + "us-west-2.on.aws", 8080, "/");

        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(unknown.body()).isEqualTo("Not Found: no service reachable from vpc-027baaaf7156c6075 answers "
                + "to billing.example.com on port 80");
        assertThat(wrongPort.statusCode()).isEqualTo(404);
        AccessLogRecord record = gateway.accessLog().take(unknown);
        assertThat(record.failureReason()).isEqualTo("ServiceNotFound");
        assertThat(record.responseCode()).isEqualTo(404);
        assertThat(record.serviceArn()).isNull();
    }

    @Test
    void answersFixedResponsesWithTheirStatusAndNoBody() throws Exception {
        HttpResponse<String> fixed = gateway.send(gateway.request(DATASTORE_DOMAIN, 80, "/anything")
                .DELETE().build());
        HttpResponse<String> fallback = gateway.get(DATASTORE_DOMAIN, 80, "/nothing-matches");

        assertThat(fixed.statusCode()).isEqualTo(500);
        assertThat(fixed.body()).isEmpty();
        assertThat(fallback.statusCode()).isEqualTo(404);
        assertThat(fallback.body()).isEmpty();
        assertThat(fallback.headers().firstValue("x-amzn-requestid")).isPresent();
        assertThat(v1.drain()).isEmpty();
        assertThat(v2.drain()).isEmpty();
    }

    @Test
    void splitsTheSummaryCanaryFiftyFiftyExactlyOverEveryCycle() throws Exception {
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            answers.add(gateway.get(DATASTORE_DOMAIN, 80, "/summary").body());
        }

        assertThat(Collections.frequency(answers, "datastore-v1")).isEqualTo(10);
        assertThat(Collections.frequency(answers, "datastore-v2")).isEqualTo(10);
        for (int i = 0; i < answers.size(); i += 2) {
            assertThat(answers.subList(i, i + 2)).containsExactlyInAnyOrder("datastore-v1", "datastore-v2");
        }
    }

    @Test
    void answersBadGatewayForATargetGroupInAnotherVpcUntilTheFabricExists() throws Exception {
        HttpResponse<String> response = gateway.get(DATASTORE_DOMAIN, 80, "/remote");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).isEqualTo("target group in another VPC: the fabric is not available");
        AccessLogRecord record = gateway.accessLog().take(response);
        assertThat(record.failureReason()).isEqualTo("RemoteTargetGroupUnavailable");
        assertThat(record.destinationVpcId()).isEqualTo(VPC_B);
    }

    @Test
    void answersBadGatewayForTargetGroupsItCannotForwardToYet() throws Exception {
        // TCP groups serve only TLS_PASSTHROUGH listeners (HTTPS groups are proxied: UpstreamProtocolsTest).
        TargetGroupEntry tcp = new TargetGroupEntry("tg-tcp", Fixtures.targetGroupArn("tg-tcp"), "IP", "TCP",
                null, 443, VPC_A, null, List.of(new TargetGroupEntry.Target("127.0.0.1", v1.port(), false)));
        gateway.snapshots().swap(snapshot(4, List.of(datastore(http(80, defaultRule(forward("tg-tcp", 1))))),
                List.of(tcp), List.of()));
        try {
            HttpResponse<String> response = gateway.get(DATASTORE_DOMAIN, 80, "/");

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).isEqualTo("Bad Gateway: this gateway cannot forward to IP target groups over"
                    + " TCP yet");
        } finally {
            gateway.snapshots().swap(snapshotOfThisTest());
        }
    }

    @Test
    void writesOneAccessLogRecordWithLatticesFieldsPerRequest() throws Exception {
        HttpResponse<String> response = gateway.send(gateway.request(DATASTORE_DOMAIN, 80, "/popular?x=1")
                .header("User-Agent", "curl/8.5.0").GET().build());

        AccessLogRecord record = gateway.accessLog().take(response);
        assertThat(record.serviceArn()).isEqualTo(Fixtures.DATASTORE_ARN);
        assertThat(record.serviceNetworkArn()).isEqualTo(Fixtures.NETWORK_ARN);
        assertThat(record.targetGroupArn()).isEqualTo(Fixtures.targetGroupArn("tg-v1"));
        assertThat(record.targetIpPort()).isEqualTo("127.0.0.1:" + v1.port());
        assertThat(record.sourceVpcArn()).isEqualTo("arn:aws:ec2:us-west-2:615847537300:vpc/" + VPC_A);
        assertThat(record.sourceVpcId()).isEqualTo(VPC_A);
        assertThat(record.destinationVpcId()).isEqualTo(VPC_A);
        assertThat(record.listenerType()).isEqualTo("HTTP");
        assertThat(record.requestMethod()).isEqualTo("GET");
        assertThat(record.requestPath()).isEqualTo("/popular?x=1");
        assertThat(record.protocol()).isEqualTo("HTTP/1.1");
        assertThat(record.responseCode()).isEqualTo(200);
        assertThat(record.userAgent()).isEqualTo("curl/8.5.0");
        assertThat(record.hostHeader()).isEqualTo(DATASTORE_DOMAIN);
        assertThat(record.sourceIpPort()).startsWith("127.0.0.1:");
        assertThat(record.failureReason()).isNull();
        assertThat(record.bytesSent()).isGreaterThan("datastore-v1".length());
        assertThat(record.requestId()).hasSize(36);
    }

    @Test
    void roundRobinsAcrossTheTargetsOfAGroupAndFailsOpenWhenNoneIsHealthy() throws Exception {
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b");
             TestBackend c = TestBackend.start("c")) {
            TargetGroupEntry pool = group("tg-pool", VPC_A, a, b, c);
            gateway.snapshots().swap(snapshot(2, List.of(datastore(http(80, defaultRule(forward("tg-pool", 1))))),
                    List.of(pool), List.of()));
            try {
                List<String> answers = new ArrayList<>();
                for (int i = 0; i < 9; i++) {
                    answers.add(gateway.get(DATASTORE_DOMAIN, 80, "/").body());
                }
                assertThat(Collections.frequency(answers, "a")).isEqualTo(3);
                assertThat(Collections.frequency(answers, "b")).isEqualTo(3);
                assertThat(Collections.frequency(answers, "c")).isEqualTo(3);

                var targets = gateway.snapshots().current().targetPool("tg-pool").targets();
                targets.get(0).health().markUnhealthy();
                answers.clear();
                for (int i = 0; i < 6; i++) {
                    answers.add(gateway.get(DATASTORE_DOMAIN, 80, "/").body());
                }
                assertThat(answers).containsOnly("b", "c").hasSize(6);
                assertThat(Collections.frequency(answers, "b")).isEqualTo(3);

                targets.forEach(t -> t.health().markUnhealthy());
                answers.clear();
                for (int i = 0; i < 6; i++) {
                    answers.add(gateway.get(DATASTORE_DOMAIN, 80, "/").body());
                }
                assertThat(answers).containsExactlyInAnyOrder("a", "a", "b", "b", "c", "c");
            } finally {
                gateway.snapshots().swap(snapshotOfThisTest());
            }
        }
    }

    private static VpcSnapshot snapshotOfThisTest() {
        // Back to the class's snapshot (revision bumped) for the other tests.
        return snapshot(3, List.of(
                datastore(http(80,
                        rule(10, pathPrefix("/popular"), forward("tg-v1", 100)),
                        rule(20, pathPrefix("/summary"), forward("tg-v1", 50, "tg-v2", 50)),
                        rule(30, new HttpMatch("DELETE", null, List.of()), RuleAction.fixedResponse(500)),
                        rule(40, pathPrefix("/remote"), forward("tg-remote", 1)),
                        defaultRule(RuleAction.fixedResponse(404))),
                        http(8080, defaultRule(forward("tg-v2", 1)))),
                Fixtures.service("svc-0222222222222222a", "frontend",
                        "frontend-0222222222222222a.7d67968.vpc-lattice-svcs.us-west-2.on.aws", null,
                        AuthLevel.NONE, AuthLevel.NONE, 60, http(80, defaultRule(forward("tg-frontend", 1))))),
                List.of(group("tg-v1", VPC_A, v1), group("tg-v2", VPC_A, v2), group("tg-frontend", VPC_A, other),
                        group("tg-remote", VPC_B, 3000)),
                List.of());
    }
}
