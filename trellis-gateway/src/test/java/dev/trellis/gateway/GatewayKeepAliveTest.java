package dev.trellis.gateway;

import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.datastore;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.gateway.support.RawHttp;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway keeps reading a keep-alive HTTP/1.1 connection while a response is in progress (it no longer pauses
 * between requests): what the client sends meanwhile is still served in order, and a head begun meanwhile is still
 * held to the request-head timeout.
 */
class GatewayKeepAliveTest {

    static TestBackend target;
    static TestGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        target = TestBackend.start("v1").responder((exchange, received) -> {
            if (received.uri().startsWith("/slow")) {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            TestBackend.respond(exchange, 200, received.uri());
        });
        gateway = TestGateway.start(snapshot(1, List.of(datastore(http(80, defaultRule(forward("tg-v1", 1))))),
                        List.of(group("tg-v1", VPC_A, target)), List.of()),
                config -> config.requestHeadTimeout(Duration.ofSeconds(1)));
    }

    @AfterAll
    static void stopAll() {
        gateway.close();
        target.close();
    }

    @Test
    void servesARequestSentWhileThePreviousResponseIsInProgressAfterIt() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send("GET /slow HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");
            Thread.sleep(300);
            raw.send("GET /next HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");

            assertThat(raw.readResponse()).startsWith("HTTP/1.1 200 OK").endsWith("/slow");
            assertThat(raw.readResponse()).startsWith("HTTP/1.1 200 OK").endsWith("/next");
        }
    }

    @Test
    void answersRequestTimeoutToAHeadBegunWhileTheResponseBeforeItWasInProgress() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send("GET /slow-then-stall HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");
            Thread.sleep(300);
            raw.send("GET /never-finished HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n");

            String response = raw.readUntilClosed();

            // The response in progress is not cut; the 408 follows it, and the connection closes.
            assertThat(response).startsWith("HTTP/1.1 200 OK").contains("/slow-then-stall")
                    .contains("HTTP/1.1 408 Request Timeout\r\n")
                    .endsWith("Request Timeout: the request head did not arrive in time");
        }
        assertThat(target.drain()).noneMatch(r -> r.uri().equals("/never-finished"));
    }
}
