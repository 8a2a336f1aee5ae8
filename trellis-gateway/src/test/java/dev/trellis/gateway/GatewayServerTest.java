package dev.trellis.gateway;

import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.VPC_B;
import static dev.trellis.gateway.support.Fixtures.datastore;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.gateway.support.H2Client;
import dev.trellis.gateway.support.RawHttp;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.gateway.target.TargetHealth;
import dev.trellis.model.snapshot.RuleAction;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Ports follow snapshots; connections are capped, time out when idle and end after their maximum duration. */
class GatewayServerTest {

    static TestBackend target;

    @BeforeAll
    static void start() throws IOException {
        target = TestBackend.start("datastore");
    }

    @AfterAll
    static void stop() {
        target.close();
    }

    static VpcSnapshot onPorts(long revision, int... ports) {
        var listeners = new dev.trellis.model.snapshot.ServiceListener[ports.length];
        for (int i = 0; i < ports.length; i++) {
            listeners[i] = http(ports[i], defaultRule(forward("tg-v1", 1)));
        }
        return snapshot(revision, List.of(datastore(listeners)), List.of(group("tg-v1", VPC_A, target)), List.of());
    }

    @Test
    void opensTheListenerPortsOfNewSnapshotsAndClosesThoseNoLongerNeeded() throws Exception {
        try (TestGateway gateway = TestGateway.start(onPorts(1, 80))) {
            int port80 = gateway.port(80);
            assertThat(gateway.server().listenerPorts()).containsExactly(80);

            gateway.snapshots().swap(onPorts(2, 80, 8080));
            assertThat(gateway.server().listenerPorts()).containsExactlyInAnyOrder(80, 8080);
            assertThat(gateway.port(80)).isEqualTo(port80);
            assertThat(gateway.get(DATASTORE_DOMAIN, 8080, "/").body()).isEqualTo("datastore");

            int port8080 = gateway.port(8080);
            gateway.snapshots().swap(onPorts(3, 80));
            assertThat(gateway.server().listenerPorts()).containsExactly(80);
            assertThat(gateway.server().localPort(8080)).isEqualTo(-1);
            assertThat(answerOn(port8080)).as("nothing of this gateway answers on the closed port")
                    .doesNotContain("datastore");
            assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/").body()).isEqualTo("datastore");
        }
    }

    @Test
    void servesNothingBeforeTheFirstSnapshotAndEverythingAfterIt() throws Exception {
        try (TestGateway gateway = TestGateway.start(VpcSnapshot.empty(VPC_A, "us-west-2"))) {
            assertThat(gateway.server().listenerPorts()).isEmpty();

            gateway.snapshots().swap(onPorts(1, 80));
            assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void refusesAnInconsistentSnapshotAndKeepsServingTheCurrentOne() throws Exception {
        try (TestGateway gateway = TestGateway.start(onPorts(1, 80))) {
            VpcSnapshot broken = snapshot(2, List.of(datastore(http(80, defaultRule(forward("tg-gone", 1))))),
                    List.of(), List.of());

            assertThatThrownBy(() -> gateway.snapshots().swap(broken)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("forwards to tg-gone, which is not in the snapshot");
            assertThat(gateway.snapshots().current().revision()).isEqualTo(1);
            assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/").statusCode()).isEqualTo(200);
            assertThatThrownBy(() -> gateway.snapshots().swap(VpcSnapshot.empty(VPC_B, "us-west-2")))
                    .hasMessage("snapshot for vpc-0bbbbbbbbbbbbbbbb offered to the gateway of vpc-027baaaf7156c6075");
        }
    }

    @Test
    void keepsTargetHealthAcrossSnapshotsForTargetsStillRegistered() throws Exception {
        try (TestGateway gateway = TestGateway.start(onPorts(1, 80))) {
            TargetHealth health = gateway.snapshots().current().targetPool("tg-v1").targets().get(0).health();
            health.markUnhealthy();

            gateway.snapshots().swap(onPorts(2, 80, 8080));

            TargetHealth after = gateway.snapshots().current().targetPool("tg-v1").targets().get(0).health();
            assertThat(after).isSameAs(health);
            assertThat(after.isHealthy()).isFalse();
        }
    }

    @Test
    void answersNotFoundOnAnOpenConnectionOnceTheServiceIsNoLongerReachable() throws Exception {
        try (TestGateway gateway = TestGateway.start(onPorts(1, 80));
             RawHttp raw = new RawHttp(gateway.port(80))) {
            String request = "GET / HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n";
            assertThat(raw.send(request).readResponse()).startsWith("HTTP/1.1 200 OK");

            gateway.snapshots().swap(snapshot(2, List.of(
                    dev.trellis.gateway.support.Fixtures.service("svc-0555555555555555d", "other",
                            "other-0555555555555555d.7d67968.vpc-lattice-svcs.us-west-2.on.aws", null,
                            dev.trellis.model.snapshot.AuthLevel.NONE, dev.trellis.model.snapshot.AuthLevel.NONE, 60,
                            http(80, defaultRule(RuleAction.fixedResponse(404))))), List.of(), List.of()));

            assertThat(raw.send(request).readResponse()).startsWith("HTTP/1.1 404 Not Found");
        }
    }

    @Test
    void closesConnectionsBeyondTheCapAsSoonAsTheyAreAccepted() throws Exception {
        try (TestGateway gateway = TestGateway.start(onPorts(1, 80), config -> config.maxConnections(2));
             RawHttp first = new RawHttp(gateway.port(80));
             RawHttp second = new RawHttp(gateway.port(80))) {
            assertThat(first.send("GET / HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n").readResponse())
                    .startsWith("HTTP/1.1 200 OK");
            second.send("GET / HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n").readResponse();

            try (RawHttp third = new RawHttp(gateway.port(80))) {
                assertThat(third.closedByServer()).isTrue();
            }
            first.socket().close();
            waitUntil(() -> gateway.server().openConnections() == 1);
            try (RawHttp fourth = new RawHttp(gateway.port(80))) {
                assertThat(fourth.send("GET / HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n").readResponse())
                        .startsWith("HTTP/1.1 200 OK");
            }
        }
    }

    @Test
    void closesAConnectionIdleForTheIdleTimeout() throws Exception {
        try (TestGateway gateway = TestGateway.start(onPorts(1, 80),
                config -> config.defaultIdleTimeout(Duration.ofMillis(500)));
             RawHttp raw = new RawHttp(gateway.port(80))) {
            long start = System.nanoTime();

            assertThat(raw.closedByServer()).isTrue();
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(400L, 3000L);
        }
    }

    @Test
    void endsAConnectionAfterItsMaximumDurationWithConnectionClose() throws Exception {
        try (TestGateway gateway = TestGateway.start(onPorts(1, 80),
                config -> config.maxConnectionDuration(Duration.ofMillis(700)));
             RawHttp raw = new RawHttp(gateway.port(80))) {
            String request = "GET / HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n";
            assertThat(raw.send(request).readResponse()).doesNotContain("connection: close");

            Thread.sleep(1000);
            assertThat(raw.closedByServer()).isTrue();
        }
    }

    @Test
    void answersTheRequestInProgressWithConnectionCloseWhenTheMaximumDurationPassesDuringIt() throws Exception {
        try (TestBackend slow = TestBackend.start("slow").responder((exchange, request) -> {
                try {
                    Thread.sleep(2500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                TestBackend.respond(exchange, 200, "finally");
            });
             TestGateway gateway = TestGateway.start(snapshot(1, List.of(datastore(http(80,
                     defaultRule(forward("tg-slow", 1))))), List.of(group("tg-slow", VPC_A, slow)), List.of()),
                     config -> config.maxConnectionDuration(Duration.ofSeconds(1)));
             RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send("GET / HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");

            String response = raw.readUntilClosed();
            assertThat(response).startsWith("HTTP/1.1 200 OK").contains("connection: close").endsWith("finally");
        }
    }

    @Test
    void sendsGoAwayAndClosesAnHttp2ConnectionAfterItsMaximumDuration() throws Exception {
        try (TestGateway gateway = TestGateway.start(onPorts(1, 80),
                config -> config.maxConnectionDuration(Duration.ofSeconds(3)))) {
            // A first HTTP/2 exchange on another connection loads the classes: the one under test must not spend
            // its 3 seconds on that (a stream opened after the GOAWAY is refused, rightly).
            try (H2Client warmUp = new H2Client(gateway.port(80))) {
                warmUp.get(DATASTORE_DOMAIN, "/");
            }
            try (H2Client h2 = new H2Client(gateway.port(80))) {
                assertThat(h2.get(DATASTORE_DOMAIN, "/").status()).isEqualTo(200);
                assertThat(h2.isOpen()).isTrue();

                waitUntil(() -> !h2.isOpen());
                assertThat(h2.goAwayReceived()).isTrue();
            }
        }
    }

    @Test
    void closesAnIdleHttp2ConnectionWithGoAway() throws Exception {
        try (TestGateway gateway = TestGateway.start(onPorts(1, 80),
                config -> config.defaultIdleTimeout(Duration.ofMillis(500)));
             H2Client h2 = new H2Client(gateway.port(80))) {
            waitUntil(() -> !h2.isOpen());

            assertThat(h2.goAwayReceived()).isTrue();
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 5 seconds");
            }
            Thread.sleep(20);
        }
    }

    /**
     * What a request for the datastore on {@code port} gets: "refused" when nothing listens. (Another process on this
     * machine may bind a port the moment the gateway frees it; it still cannot answer as the datastore.)
     */
    private static String answerOn(int port) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(2000);
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        } catch (ConnectException e) {
            return "refused";
        } catch (java.io.IOException e) {
            return "error: " + e;
        }
    }
}
