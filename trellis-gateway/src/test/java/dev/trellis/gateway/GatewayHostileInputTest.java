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

import dev.trellis.gateway.support.H2Client;
import dev.trellis.gateway.support.RawHttp;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import io.netty.handler.codec.http.HttpMethod;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the codec and the connection guard refuse, each on its own connection, while a well-behaved client keeps
 * being served on another the whole time (checked after all tests).
 */
class GatewayHostileInputTest {

    static final long MAX_BODY = 1024 * 1024;

    static TestBackend target;
    static TestGateway gateway;
    static Thread normalClient;
    static final AtomicBoolean stop = new AtomicBoolean();
    static final AtomicInteger served = new AtomicInteger();
    static final ConcurrentLinkedQueue<String> normalFailures = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void start() throws Exception {
        target = TestBackend.start("datastore");
        gateway = TestGateway.start(snapshot(1, List.of(datastore(http(80, defaultRule(forward("tg-v1", 1))))),
                List.of(group("tg-v1", VPC_A, target)), List.of()),
                config -> config.maxRequestBodyBytes(MAX_BODY).requestHeadTimeout(Duration.ofSeconds(1)));
        normalClient = new Thread(() -> {
            while (!stop.get()) {
                try {
                    HttpResponse<String> response = gateway.get(DATASTORE_DOMAIN, 80, "/normal");
                    if (response.statusCode() == 200 && response.body().equals("datastore")) {
                        served.incrementAndGet();
                    } else {
                        normalFailures.add(response.statusCode() + " " + response.body());
                    }
                    Thread.sleep(20);
                } catch (Exception e) {
                    normalFailures.add(e.toString());
                }
            }
        }, "normal-client");
        normalClient.start();
    }

    @AfterAll
    static void stopAll() throws Exception {
        stop.set(true);
        normalClient.join(10_000);
        gateway.close();
        target.close();
        assertThat(normalFailures).as("the well-behaved client's failures").isEmpty();
        assertThat(served.get()).as("requests served to the well-behaved client").isPositive();
    }

    @BeforeEach
    void clear() {
        target.drain();
    }

    private static String exchange(String request) throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send(request);
            return raw.readUntilClosed();
        }
    }

    private static void assertTargetSawNothingButTheNormalClient() {
        assertThat(target.drain()).allMatch(r -> r.uri().equals("/normal") || r.uri().equals("/after"));
    }

    @Test
    void answersUriTooLongToARequestLineOverEightKilobytesAndCloses() throws Exception {
        String response = exchange("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 414 Request-URI Too Long\r\n").contains("connection: close")
                .endsWith("URI Too Long: the request line is longer than 8192 bytes");
        assertTargetSawNothingButTheNormalClient();
    }

    @Test
    void answersHeaderFieldsTooLargeToHeadersOverSixteenKilobytesAndCloses() throws Exception {
        String response = exchange("GET / HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\nX-Big: "
                + "b".repeat(17_000) + "\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n")
                .endsWith("Request Header Fields Too Large: the request headers are larger than 16384 bytes");
        assertTargetSawNothingButTheNormalClient();
    }

    @Test
    void answersPayloadTooLargeWhenContentLengthExceedsTheLimitWithoutReadingTheBody() throws Exception {
        String response = exchange("POST /upload HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\nContent-Length: "
                + (MAX_BODY + 1) + "\r\n\r\nstart of a body that never ends");

        assertThat(response).startsWith("HTTP/1.1 413 Request Entity Too Large\r\n")
                .endsWith("Payload Too Large: the request body is 1048577 bytes; the limit is 1048576");
        assertTargetSawNothingButTheNormalClient();
    }

    @Test
    void cutsAChunkedBodyThatGrowsPastTheLimit() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send("POST /upload HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\nTransfer-Encoding: chunked\r\n\r\n");
            String chunk = "10000\r\n" + "x".repeat(0x10000) + "\r\n";
            for (int i = 0; i < 17; i++) {
                raw.send(chunk);
            }

            assertThat(raw.readUntilClosed()).startsWith("HTTP/1.1 413 Request Entity Too Large\r\n")
                    .endsWith("Payload Too Large: the request body is longer than 1048576 bytes");
        }
        // The target saw the start of the request and then a closed connection, never a whole request.
        assertThat(target.drain()).noneMatch(r -> r.uri().equals("/upload"));
    }

    @Test
    void refusesContentLengthTogetherWithTransferEncodingAndCloses() throws Exception {
        String response = exchange("POST /smuggle HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\nContent-Length: 6\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN
                + "\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("connection: close")
                .doesNotContain("HTTP/1.1 200");
        assertTargetSawNothingButTheNormalClient();
    }

    @Test
    void refusesDuplicateContentLengthsAndCloses() throws Exception {
        String response = exchange("POST /smuggle HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\nContent-Length: 5\r\n"
                + "Content-Length: 46\r\n\r\nhelloGET /admin HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n")
                .endsWith("Bad Request: Multiple Content-Length values found: [5, 46]");
        assertTargetSawNothingButTheNormalClient();
    }

    @Test
    void refusesAMalformedChunkSizeAndCloses() throws Exception {
        String response = exchange("POST /chunks HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN
                + "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("connection: close")
                .endsWith("Bad Request: Invalid character in chunk size");
    }

    @Test
    void refusesBareLineFeedsAndCloses() throws Exception {
        String response = exchange("GET / HTTP/1.1\nHost: " + DATASTORE_DOMAIN + "\n\n");

        assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n");
        assertTargetSawNothingButTheNormalClient();
    }

    @Test
    void answersRequestTimeoutToAHeadThatTrickles() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            long start = System.nanoTime();
            raw.send("GET /slowloris HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n");
            Thread.sleep(400);
            raw.send("X-One: 1\r\n");
            Thread.sleep(400);
            raw.send("X-Two: 2\r\n");
            String response = raw.readUntilClosed();
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

            assertThat(response).startsWith("HTTP/1.1 408 Request Timeout\r\n")
                    .endsWith("Request Timeout: the request head did not arrive in time");
            assertThat(elapsedMillis).isBetween(900L, 4000L);
        }
        assertTargetSawNothingButTheNormalClient();
    }

    @Test
    void keepsAnIdleKeepAliveConnectionOpenPastTheHeadTimeout() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send("GET /first HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");
            assertThat(raw.readResponse()).startsWith("HTTP/1.1 200 OK");
            Thread.sleep(1500);
            raw.send("GET /second HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");

            assertThat(raw.readResponse()).startsWith("HTTP/1.1 200 OK");
        }
    }

    @Test
    void answersPayloadTooLargeOnHttp2WhenContentLengthExceedsTheLimit() throws Exception {
        try (H2Client h2 = new H2Client(gateway.port(80))) {
            H2Client.Response response = h2.sendHeadOnly(HttpMethod.POST, DATASTORE_DOMAIN, "/upload",
                    Map.of("content-length", String.valueOf(MAX_BODY + 1)));

            assertThat(response.status()).isEqualTo(413);
            assertThat(response.body()).isEqualTo("Payload Too Large: the request body is 1048577 bytes; the limit "
                    + "is 1048576");
            assertThat(h2.get(DATASTORE_DOMAIN, "/after").status()).isEqualTo(200);
        }
        assertThat(target.drain()).noneMatch(r -> r.uri().equals("/upload"));
    }

    @Test
    void refusesARequestWithoutHost() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send("GET / HTTP/1.1\r\n\r\n");

            assertThat(raw.readResponse()).startsWith("HTTP/1.1 400 Bad Request\r\n")
                    .endsWith("Bad Request: the request has no Host header");
        }
    }
}
