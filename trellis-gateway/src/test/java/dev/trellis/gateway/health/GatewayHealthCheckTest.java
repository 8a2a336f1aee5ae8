package dev.trellis.gateway.health;

import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.VPC_B;
import static dev.trellis.gateway.support.Fixtures.datastore;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static dev.trellis.gateway.support.Fixtures.targetGroupArn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.gateway.support.H2cBackend;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.gateway.target.PoolTarget;
import dev.trellis.gateway.target.TargetStatus;
import dev.trellis.model.gateway.TargetHealthReport;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.TargetGroupEntry.HealthCheck;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Health checks through a real gateway against real targets on loopback. One snapshot "second" lasts
 * {@link #UNIT} here, so Lattice's settings (interval, timeout in seconds) run a hundred times faster.
 */
class GatewayHealthCheckTest {

    /** One second of the snapshot's health-check settings. */
    static final Duration UNIT = Duration.ofMillis(10);
    static final Duration WAIT = Duration.ofSeconds(5);

    static HealthCheck check(String path, int interval, int timeout, int healthy, int unhealthy, String matcher) {
        return new HealthCheck(true, "HTTP", "HTTP1", 0, path, interval, timeout, healthy, unhealthy, matcher);
    }

    /** Checks /health every 100 ms with a 500 ms timeout, healthy after 3, unhealthy after 2, matcher 200. */
    static HealthCheck fast() {
        return check("/health", 10, 50, 3, 2, "200");
    }

    static TargetGroupEntry group(String id, HealthCheck hc, TargetGroupEntry.Target... targets) {
        return new TargetGroupEntry(id, targetGroupArn(id), "IP", "HTTP", "HTTP1", 80, VPC_A, hc,
                List.of(targets));
    }

    static TargetGroupEntry group(String id, HealthCheck hc, int... ports) {
        return group(id, hc, Arrays.stream(ports).mapToObj(p -> new TargetGroupEntry.Target("127.0.0.1", p, false))
                .toArray(TargetGroupEntry.Target[]::new));
    }

    static TargetGroupEntry.Target target(int port, boolean draining) {
        return new TargetGroupEntry.Target("127.0.0.1", port, draining);
    }

    /** The datastore service forwards everything to the first group; the others are only health-checked. */
    static VpcSnapshot snap(long revision, TargetGroupEntry... groups) {
        return snapshot(revision, List.of(datastore(http(80, defaultRule(forward(groups[0].id(), 1))))),
                List.of(groups), List.of());
    }

    static TestGateway gateway(VpcSnapshot snapshot, RecordingSink sink) {
        return TestGateway.start(snapshot, c -> c.healthCheckTimeUnit(UNIT).targetHealthSink(sink)
                .targetHealthReportInterval(Duration.ofMillis(20)));
    }

    static PoolTarget target(TestGateway gateway, String groupId, int port) {
        return gateway.snapshots().current().targetPool(groupId).allTargets().stream()
                .filter(t -> t.port() == port).findFirst()
                .orElseThrow(() -> new AssertionError("no target :" + port + " in " + groupId));
    }

    static TargetStatus status(TestGateway gateway, String groupId, int port) {
        return target(gateway, groupId, port).status();
    }

    static void awaitStatus(TestGateway gateway, String groupId, int port, TargetStatus status) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5))
                .until(() -> status(gateway, groupId, port) == status);
    }

    /** Answers /health with the status in {@code healthStatus} (counting the checks), anything else with 200 and its name. */
    static void serveHealth(TestBackend backend, AtomicInteger healthStatus, AtomicInteger checks) {
        backend.responder((exchange, request) -> {
            if (request.uri().startsWith("/health")) {
                checks.incrementAndGet();
                TestBackend.respond(exchange, healthStatus.get(), "");
            } else {
                TestBackend.respond(exchange, 200, backend.name());
            }
        });
    }

    static List<String> answers(TestGateway gateway, int n) throws Exception {
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> response = gateway.get(DATASTORE_DOMAIN, 80, "/work");
            assertThat(response.statusCode()).isEqualTo(200);
            answers.add(response.body());
        }
        return answers;
    }

    static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void aNewTargetIsInitialUntilItsFirstCheckAndHealthyAfterOnePass() throws Exception {
        RecordingSink sink = new RecordingSink();
        CountDownLatch release = new CountDownLatch(1);
        try (TestBackend a = TestBackend.start("a")) {
            a.responder((exchange, request) -> {
                try {
                    release.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                TestBackend.respond(exchange, 200, "ok");
            });
            // healthyThreshold 5 does not apply to a new target: one pass is enough (facts §5).
            try (TestGateway gateway = gateway(snap(1, group("tg-h", check("/health?deep=1", 100, 200, 5, 2,
                    "200"), a.port())), sink)) {
                TestBackend.Received probe = a.take();
                assertThat(status(gateway, "tg-h", a.port())).isEqualTo(TargetStatus.INITIAL);
                // Reports go every 20 ms with each target's state then: the check is held until INITIAL has gone
                // (a check answered within 20 ms of the start would otherwise be reported as HEALTHY only).
                await().atMost(WAIT).until(() -> sink.last("tg-h", a.port()) != null);
                assertThat(sink.last("tg-h", a.port()).status()).isEqualTo("INITIAL");
                release.countDown();

                awaitStatus(gateway, "tg-h", a.port(), TargetStatus.HEALTHY);
                // Healthy on that first pass: the next check is a whole interval (1 s) away.
                assertThat(a.drain()).isEmpty();
                assertThat(probe.method()).isEqualTo("GET");
                assertThat(probe.uri()).isEqualTo("/health?deep=1");
                assertThat(probe.header("host")).isEqualTo("127.0.0.1:" + a.port());
                assertThat(probe.header("user-agent")).isEqualTo("Trellis-HealthChecker/1.0");
                await().atMost(WAIT).until(() -> sink.last("tg-h", a.port()) != null
                        && sink.last("tg-h", a.port()).status().equals("HEALTHY"));
                assertThat(sink.of("tg-h", a.port())).extracting(TargetHealthReport::status)
                        .containsSubsequence("INITIAL", "HEALTHY");
                assertThat(sink.last("tg-h", a.port()).reasonCode()).isNull();
            }
        }
    }

    @Test
    void aFailingTargetGoesUnhealthyAfterTheThresholdGetsNoTrafficAndRecovers() throws Exception {
        RecordingSink sink = new RecordingSink();
        AtomicInteger okStatus = new AtomicInteger(200);
        AtomicInteger badStatus = new AtomicInteger(200);
        AtomicInteger badChecks = new AtomicInteger();
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b")) {
            serveHealth(a, okStatus, new AtomicInteger());
            serveHealth(b, badStatus, badChecks);
            try (TestGateway gateway = gateway(snap(1, group("tg-h", fast(), a.port(), b.port())), sink)) {
                awaitStatus(gateway, "tg-h", a.port(), TargetStatus.HEALTHY);
                awaitStatus(gateway, "tg-h", b.port(), TargetStatus.HEALTHY);

                badStatus.set(500);
                int before = badChecks.get();
                awaitStatus(gateway, "tg-h", b.port(), TargetStatus.UNHEALTHY);
                // unhealthyThreshold 2: at least two failed checks (the first may have raced the switch).
                assertThat(badChecks.get() - before).isGreaterThanOrEqualTo(2);
                assertThat(target(gateway, "tg-h", b.port()).reasonCode())
                        .isEqualTo(ProbeResult.CODE_MISMATCH);
                assertThat(answers(gateway, 6)).containsOnly("a");

                badStatus.set(200);
                int failing = badChecks.get();
                awaitStatus(gateway, "tg-h", b.port(), TargetStatus.HEALTHY);
                // healthyThreshold 3 once unhealthy.
                assertThat(badChecks.get() - failing).isGreaterThanOrEqualTo(3);
                List<String> answers = answers(gateway, 6);
                assertThat(Collections.frequency(answers, "a")).isEqualTo(3);
                assertThat(Collections.frequency(answers, "b")).isEqualTo(3);

                await().atMost(WAIT).until(() -> "HEALTHY".equals(sink.last("tg-h", b.port()).status()));
                assertThat(sink.of("tg-h", b.port()))
                        .extracting(r -> r.status() + "/" + r.reasonCode())
                        .containsSubsequence("HEALTHY/null", "UNHEALTHY/HealthCheckResponseCodeMismatch",
                                "HEALTHY/null");
            }
        }
    }

    @Test
    void aTargetNotListeningOrTooSlowIsUnhealthyWithItsReason() throws Exception {
        RecordingSink sink = new RecordingSink();
        int closed = closedPort();
        try (TestBackend slow = TestBackend.start("slow")) {
            slow.responder((exchange, request) -> {
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                TestBackend.respond(exchange, 200, "late");
            });
            // Timeout 20 units = 200 ms; the slow target answers after a second.
            try (TestGateway gateway = gateway(snap(1, group("tg-h", check("/health", 10, 20, 3, 2, "200"),
                    closed, slow.port())), sink)) {
                awaitStatus(gateway, "tg-h", closed, TargetStatus.UNHEALTHY);
                awaitStatus(gateway, "tg-h", slow.port(), TargetStatus.UNHEALTHY);
                assertThat(target(gateway, "tg-h", closed).reasonCode()).isEqualTo(ProbeResult.FAILED);
                assertThat(target(gateway, "tg-h", slow.port()).reasonCode()).isEqualTo(ProbeResult.TIMEOUT);
                await().atMost(WAIT).until(() -> sink.last("tg-h", slow.port()) != null
                        && "HealthCheckTimeout".equals(sink.last("tg-h", slow.port()).reasonCode())
                        && "HealthCheckFailed".equals(sink.last("tg-h", closed).reasonCode()));
            }
        }
    }

    @Test
    void whenEveryTargetIsUnhealthyTrafficFailsOpenToAll() throws Exception {
        RecordingSink sink = new RecordingSink();
        AtomicInteger failing = new AtomicInteger(500);
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b")) {
            serveHealth(a, failing, new AtomicInteger());
            serveHealth(b, failing, new AtomicInteger());
            try (TestGateway gateway = gateway(snap(1, group("tg-h", fast(), a.port(), b.port())), sink)) {
                awaitStatus(gateway, "tg-h", a.port(), TargetStatus.UNHEALTHY);
                awaitStatus(gateway, "tg-h", b.port(), TargetStatus.UNHEALTHY);

                List<String> answers = answers(gateway, 6);
                assertThat(Collections.frequency(answers, "a")).isEqualTo(3);
                assertThat(Collections.frequency(answers, "b")).isEqualTo(3);
            }
        }
    }

    @Test
    void theMatcherAcceptsRangesAndListsAndThePortSettingChecksAnotherPort() throws Exception {
        RecordingSink sink = new RecordingSink();
        AtomicInteger noContent = new AtomicInteger(204);
        AtomicInteger trafficChecks = new AtomicInteger();
        AtomicInteger healthPortChecks = new AtomicInteger();
        try (TestBackend traffic = TestBackend.start("traffic"); TestBackend healthPort = TestBackend.start("hp")) {
            serveHealth(traffic, new AtomicInteger(200), trafficChecks);
            serveHealth(healthPort, noContent, healthPortChecks);
            HealthCheck range = new HealthCheck(true, "HTTP", "HTTP1", healthPort.port(), "/health", 10, 50, 3, 2,
                    "200-299");
            HealthCheck list = new HealthCheck(true, "HTTP", "HTTP1", healthPort.port(), "/health", 10, 50, 3, 2,
                    "200,202");
            HealthCheck listWith204 = new HealthCheck(true, "HTTP", "HTTP1", healthPort.port(), "/health", 10, 50,
                    3, 2, "200, 204,300-399");
            try (TestGateway gateway = gateway(snap(1, group("tg-range", range, traffic.port()),
                    group("tg-list", list, traffic.port()), group("tg-list204", listWith204, traffic.port())),
                    sink)) {
                awaitStatus(gateway, "tg-range", traffic.port(), TargetStatus.HEALTHY);
                awaitStatus(gateway, "tg-list204", traffic.port(), TargetStatus.HEALTHY);
                awaitStatus(gateway, "tg-list", traffic.port(), TargetStatus.UNHEALTHY);
                assertThat(target(gateway, "tg-list", traffic.port()).reasonCode())
                        .isEqualTo(ProbeResult.CODE_MISMATCH);
                assertThat(trafficChecks.get()).as("checks sent to the traffic port").isZero();
                assertThat(healthPortChecks.get()).isGreaterThanOrEqualTo(3);
            }
        }
    }

    @Test
    void http2ChecksSpeakCleartextHttp2WithPriorKnowledge() throws Exception {
        RecordingSink sink = new RecordingSink();
        try (H2cBackend h2 = new H2cBackend(); TestBackend http1Only = TestBackend.start("h1")) {
            HealthCheck overH2 = new HealthCheck(true, "HTTP", "HTTP2", 0, "/grpc.health.v1/Check", 10, 50, 3, 2,
                    "200");
            try (TestGateway gateway = gateway(snap(1, group("tg-h2", overH2, h2.port(), http1Only.port())),
                    sink)) {
                awaitStatus(gateway, "tg-h2", h2.port(), TargetStatus.HEALTHY);
                H2cBackend.Received probe = h2.take();
                assertThat(probe.header(":method")).isEqualTo("GET");
                assertThat(probe.header(":path")).isEqualTo("/grpc.health.v1/Check");
                assertThat(probe.header(":scheme")).isEqualTo("http");
                assertThat(probe.header(":authority")).isEqualTo("127.0.0.1:" + h2.port());
                // A target that speaks only HTTP/1.1 does not pass an HTTP/2 check.
                awaitStatus(gateway, "tg-h2", http1Only.port(), TargetStatus.UNHEALTHY);
                assertThat(target(gateway, "tg-h2", http1Only.port()).reasonCode()).isEqualTo(ProbeResult.FAILED);

                h2.status(503);
                awaitStatus(gateway, "tg-h2", h2.port(), TargetStatus.UNHEALTHY);
                assertThat(target(gateway, "tg-h2", h2.port()).reasonCode()).isEqualTo(ProbeResult.CODE_MISMATCH);
            }
        }
    }

    @Test
    void aDrainingTargetGetsNoNewRequestsWhileItsSlowInFlightRequestFinishes() throws Exception {
        RecordingSink sink = new RecordingSink();
        CountDownLatch slowArrived = new CountDownLatch(1);
        CountDownLatch finishSlow = new CountDownLatch(1);
        AtomicInteger aChecks = new AtomicInteger();
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b")) {
            a.responder((exchange, request) -> {
                if (request.uri().startsWith("/health")) {
                    aChecks.incrementAndGet();
                    TestBackend.respond(exchange, 200, "");
                } else if (request.uri().equals("/slow")) {
                    slowArrived.countDown();
                    try {
                        finishSlow.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    TestBackend.respond(exchange, 200, "a finished");
                } else {
                    TestBackend.respond(exchange, 200, "a");
                }
            });
            try (TestGateway gateway = gateway(snap(1, group("tg-h", fast(), target(a.port(), false))), sink)) {
                awaitStatus(gateway, "tg-h", a.port(), TargetStatus.HEALTHY);
                CompletableFuture<HttpResponse<String>> slow = gateway.client().sendAsync(
                        gateway.request(DATASTORE_DOMAIN, 80, "/slow").GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(slowArrived.await(5, TimeUnit.SECONDS)).isTrue();

                gateway.snapshots().swap(snap(2, group("tg-h", fast(), target(a.port(), true),
                        target(b.port(), false))));

                assertThat(status(gateway, "tg-h", a.port())).isEqualTo(TargetStatus.DRAINING);
                // b is INITIAL and a drains: b is the only target new requests may go to (fail-open).
                assertThat(answers(gateway, 4)).containsOnly("b");
                int checksWhenDrained = aChecks.get();
                finishSlow.countDown();
                HttpResponse<String> finished = slow.get(5, TimeUnit.SECONDS);
                assertThat(finished.statusCode()).isEqualTo(200);
                assertThat(finished.body()).isEqualTo("a finished");
                await().atMost(WAIT).until(() -> sink.last("tg-h", a.port()) != null
                        && "DRAINING".equals(sink.last("tg-h", a.port()).status()));
                assertThat(sink.last("tg-h", a.port()).reasonCode()).isEqualTo("DeregistrationInProgress");
                Thread.sleep(300);
                assertThat(aChecks.get() - checksWhenDrained).as("checks of a draining target").isLessThanOrEqualTo(1);

                // Every target draining: no target to send to.
                gateway.snapshots().swap(snap(3, group("tg-h", fast(), target(a.port(), true),
                        target(b.port(), true))));
                assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/work").statusCode()).isEqualTo(503);
            }
        }
    }

    @Test
    void healthSurvivesSwapsRemovedTargetsStopAndChangedSettingsApply() throws Exception {
        RecordingSink sink = new RecordingSink();
        AtomicInteger bad = new AtomicInteger(500);
        AtomicInteger aChecks = new AtomicInteger();
        AtomicInteger bChecks = new AtomicInteger();
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b")) {
            serveHealth(a, bad, aChecks);
            serveHealth(b, new AtomicInteger(200), bChecks);
            try (TestGateway gateway = gateway(snap(1, group("tg-h", fast(), a.port(), b.port())), sink)) {
                HealthChecker checker = gateway.server().healthChecker();
                awaitStatus(gateway, "tg-h", a.port(), TargetStatus.UNHEALTHY);
                awaitStatus(gateway, "tg-h", b.port(), TargetStatus.HEALTHY);
                assertThat(checker.checkedTargets()).isEqualTo(2);

                // Another revision, same targets and settings: nothing starts over.
                gateway.snapshots().swap(snap(2, group("tg-h", fast(), a.port(), b.port()),
                        group("tg-other", null, 9)));
                assertThat(status(gateway, "tg-h", a.port())).isEqualTo(TargetStatus.UNHEALTHY);
                assertThat(status(gateway, "tg-h", b.port())).isEqualTo(TargetStatus.HEALTHY);
                assertThat(checker.checkedTargets()).isEqualTo(2);

                // b removed: its checks stop.
                gateway.snapshots().swap(snap(3, group("tg-h", fast(), a.port())));
                assertThat(checker.checkedTargets()).isEqualTo(1);
                Thread.sleep(50);
                int bAfterRemoval = bChecks.get();
                Thread.sleep(300);
                assertThat(bChecks.get()).isEqualTo(bAfterRemoval);

                // Changed path: the next checks go there; a answers 200 on any /health* path now.
                bad.set(200);
                a.drain();
                gateway.snapshots().swap(snap(4, group("tg-h", check("/health/v2", 10, 50, 3, 2, "200"),
                        a.port())));
                await().atMost(WAIT).until(() -> a.drain().stream().anyMatch(r -> r.uri().equals("/health/v2")));
                awaitStatus(gateway, "tg-h", a.port(), TargetStatus.HEALTHY);

                // Checks switched off: UNAVAILABLE, reported with HealthCheckDisabled, and no more checks.
                HealthCheck off = new HealthCheck(false, "HTTP", "HTTP1", 0, "/health", 10, 50, 3, 2, "200");
                gateway.snapshots().swap(snap(5, group("tg-h", off, a.port())));
                assertThat(status(gateway, "tg-h", a.port())).isEqualTo(TargetStatus.UNAVAILABLE);
                assertThat(checker.checkedTargets()).isZero();
                await().atMost(WAIT).until(() -> "UNAVAILABLE".equals(sink.last("tg-h", a.port()).status()));
                assertThat(sink.last("tg-h", a.port()).reasonCode()).isEqualTo("HealthCheckDisabled");
                assertThat(answers(gateway, 2)).containsOnly("a");
            }
        }
    }

    @Test
    void reportsCoverEveryLocalTargetWithLatticeStatusesAndAFailingSinkGetsTheFullStateAgain()
            throws Exception {
        RecordingSink sink = new RecordingSink();
        try (TestBackend a = TestBackend.start("a")) {
            serveHealth(a, new AtomicInteger(200), new AtomicInteger());
            // Lattice does not health-check ALB groups (HTTPS checks are supported: TlsAndGrpcHealthCheckTest).
            HealthCheck enabled = new HealthCheck(true, "HTTP", "HTTP1", 0, "/", 10, 50, 3, 2, "200");
            TargetGroupEntry alb = new TargetGroupEntry("tg-alb", targetGroupArn("tg-alb"), "ALB", "HTTP", "HTTP1",
                    80, VPC_A, enabled, List.of(target(8, false)));
            HealthCheck badMatcher = new HealthCheck(true, "HTTP", "HTTP1", 0, "/", 10, 50, 3, 2, "200-");
            TargetGroupEntry remote = new TargetGroupEntry("tg-remote", targetGroupArn("tg-remote"), "IP", "HTTP",
                    "HTTP1", 80, VPC_B, null, List.of());
            sink.failNext(1);
            try (TestGateway gateway = gateway(snap(1, group("tg-h", fast(), a.port()),
                    group("tg-off", null, 7), alb,
                    group("tg-bad", badMatcher, 6), remote), sink)) {
                awaitStatus(gateway, "tg-h", a.port(), TargetStatus.HEALTHY);
                // The first call (the full state) threw: a later call carries the full state again.
                await().atMost(WAIT).until(() -> sink.calls().stream().filter(c -> c.size() == 4).count() >= 2);
                List<TargetHealthReport> full = sink.calls().get(1).size() == 4 ? sink.calls().get(1)
                        : sink.calls().stream().filter(c -> c.size() == 4).skip(1).findFirst().orElseThrow();
                assertThat(full).extracting(TargetHealthReport::targetGroupId)
                        .containsExactlyInAnyOrder("tg-h", "tg-off", "tg-alb", "tg-bad");
                assertThat(full).filteredOn(r -> r.targetGroupId().equals("tg-off"))
                        .extracting(r -> r.status() + "/" + r.reasonCode())
                        .containsExactly("UNAVAILABLE/HealthCheckDisabled");
                assertThat(full).filteredOn(r -> r.targetGroupId().equals("tg-alb"))
                        .extracting(r -> r.status() + "/" + r.reasonCode())
                        .containsExactly("UNAVAILABLE/HealthCheckNotSupported");
                assertThat(full).filteredOn(r -> r.targetGroupId().equals("tg-bad"))
                        .extracting(r -> r.status() + "/" + r.reasonCode())
                        .containsExactly("UNAVAILABLE/HealthCheckInvalidConfiguration");
                assertThat(full).filteredOn(r -> r.targetGroupId().equals("tg-h"))
                        .extracting(TargetHealthReport::targetId, TargetHealthReport::port)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("127.0.0.1", a.port()));
                await().atMost(WAIT).until(() -> "HEALTHY".equals(sink.last("tg-h", a.port()).status()));
                // Only targets checked by this gateway are reported: no target group of another VPC.
                assertThat(sink.calls()).allSatisfy(call -> assertThat(call)
                        .noneMatch(r -> r.targetGroupId().equals("tg-remote")));
                // The unusable groups' targets are still used (UNAVAILABLE counts as healthy).
                assertThat(gateway.server().healthChecker().checkedTargets()).isEqualTo(1);
            }
        }
    }
}
