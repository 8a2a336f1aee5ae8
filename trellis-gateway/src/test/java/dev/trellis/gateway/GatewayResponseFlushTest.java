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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway writes a target's response to an HTTP/1.1 client unflushed and flushes once the target's read is
 * complete (DESIGN.md "One flush per target read"): what a target has sent reaches the client without waiting for
 * the rest of the response.
 */
class GatewayResponseFlushTest {

    static final CountDownLatch clientSawFirstPart = new CountDownLatch(1);
    static TestBackend target;
    static TestGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        target = TestBackend.start("v1").responder((exchange, received) -> {
            exchange.sendResponseHeaders(200, 0);
            OutputStream body = exchange.getResponseBody();
            body.write("first part;".getBytes(StandardCharsets.US_ASCII));
            body.flush();
            try {
                // The rest only once the client has the first part through the gateway (or 10 s, failing below).
                clientSawFirstPart.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            body.write("second part".getBytes(StandardCharsets.US_ASCII));
            body.close();
        });
        gateway = TestGateway.start(snapshot(1, List.of(datastore(http(80, defaultRule(forward("tg-v1", 1))))),
                List.of(group("tg-v1", VPC_A, target)), List.of()));
    }

    @AfterAll
    static void stopAll() {
        gateway.close();
        target.close();
    }

    @Test
    void deliversTheHeadAndTheFirstPartOfAStreamedResponseBeforeTheTargetSendsTheRest() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send("GET /stream HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");
            // Shorter than the target's 10-s wait: a gateway holding the first part for the rest fails here.
            raw.socket().setSoTimeout(5_000);

            String first = readUntil(raw.socket().getInputStream(), "first part;");
            assertThat(first).startsWith("HTTP/1.1 200 OK\r\n").contains("transfer-encoding: chunked")
                    .doesNotContain("second part");
            clientSawFirstPart.countDown();

            String rest = readUntil(raw.socket().getInputStream(), "\r\n0\r\n\r\n");
            assertThat(rest).contains("second part");
        }
    }

    /** Reads until {@code marker} has arrived; the socket's timeout fails the test when it does not. */
    private static String readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (!out.toString(StandardCharsets.ISO_8859_1).contains(marker)) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before '" + marker + "': " + out.toString(StandardCharsets.ISO_8859_1));
            }
            out.write(b);
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }
}
