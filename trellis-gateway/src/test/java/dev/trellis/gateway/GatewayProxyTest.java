package dev.trellis.gateway;

import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_ID;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.pathPrefix;
import static dev.trellis.gateway.support.Fixtures.rule;
import static dev.trellis.gateway.support.Fixtures.service;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.support.H2Client;
import dev.trellis.gateway.support.OneShotBackend;
import dev.trellis.gateway.support.RawHttp;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.model.snapshot.AuthLevel;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Proxying: streamed bodies under backpressure, keep-alive pooling, the connect-refused retry, 502 and 504, and
 * the protocols clients speak (HTTP/1.0, pipelined HTTP/1.1, 100-continue, HTTP/2 prior knowledge, h2c upgrade).
 */
class GatewayProxyTest {

    static final long BIG = 48L * 1024 * 1024;
    static final String IMPATIENT_DOMAIN = "impatient-0444444444444444c.7d67968.vpc-lattice-svcs.us-west-2.on.aws";

    static TestBackend echo;
    static TestBackend slow;
    static TestBackend streaming;
    static int refusedPort1;
    static int refusedPort2;
    static final AtomicLong streamedOut = new AtomicLong();
    static final CountDownLatch releaseUploadReader = new CountDownLatch(1);
    static final AtomicLong uploadRead = new AtomicLong();
    static volatile long[] uploadSummary;
    static TestGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        echo = TestBackend.start("echo").responder((exchange, request) ->
                TestBackend.respond(exchange, 200, request.method() + " " + request.uri() + " " + request.bodyText()));
        slow = TestBackend.start("slow").responder((exchange, request) -> {
            sleep(3000);
            TestBackend.respond(exchange, 200, "too late");
        });
        streaming = TestBackend.start("streaming").readBodies(false).responder((exchange, request) -> {
            if (request.uri().startsWith("/download")) {
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    byte[] chunk = pattern(64 * 1024);
                    for (long sent = 0; sent < BIG; sent += chunk.length) {
                        out.write(chunk);
                        streamedOut.addAndGet(chunk.length);
                    }
                }
            } else {
                if (request.uri().startsWith("/upload-held")) {
                    awaitQuietly(releaseUploadReader);
                }
                InputStream in = exchange.getRequestBody();
                byte[] buffer = new byte[64 * 1024];
                long total = 0;
                long sum = 0;
                int n;
                while ((n = in.read(buffer)) > 0) {
                    for (int i = 0; i < n; i++) {
                        sum = sum * 31 + buffer[i];
                    }
                    total += n;
                    uploadRead.addAndGet(n);
                }
                uploadSummary = new long[] {total, sum};
                TestBackend.respond(exchange, 200, total + " " + sum);
            }
        });
        refusedPort1 = freePort();
        refusedPort2 = freePort();
        gateway = TestGateway.start(snapshot(1, List.of(
                // Idle timeout 1 s, so that a silent target times out quickly.
                service("svc-0444444444444444c", "impatient", IMPATIENT_DOMAIN, null, AuthLevel.NONE,
                        AuthLevel.NONE, 1, http(80, defaultRule(forward("tg-slow", 1)))),
                service(DATASTORE_ID, "datastore", DATASTORE_DOMAIN, null, AuthLevel.NONE, AuthLevel.NONE, 60,
                        http(80,
                                rule(20, pathPrefix("/download"), forward("tg-streaming", 1)),
                                rule(30, pathPrefix("/upload"), forward("tg-streaming", 1)),
                                rule(40, pathPrefix("/half-refused"), forward("tg-half-refused", 1)),
                                rule(50, pathPrefix("/all-refused"), forward("tg-all-refused", 1)),
                                defaultRule(forward("tg-echo", 1))))),
                List.of(group("tg-echo", VPC_A, echo), group("tg-slow", VPC_A, slow),
                        group("tg-streaming", VPC_A, streaming),
                        group("tg-half-refused", VPC_A, refusedPort1, echo.port()),
                        group("tg-all-refused", VPC_A, refusedPort1, refusedPort2)),
                List.of()), config -> config.maxRequestBodyBytes(4 * BIG));
    }

    @AfterAll
    static void stop() {
        releaseUploadReader.countDown();
        gateway.close();
        echo.close();
        slow.close();
        streaming.close();
    }

    @BeforeEach
    void clear() {
        echo.drain();
        gateway.accessLog().clear();
    }

    @Test
    void streamsALargeUploadAndALargeDownloadWithoutBufferingThemWhole() throws Exception {
        byte[] chunk = pattern(64 * 1024);
        long expectedSum = 0;
        for (long sent = 0; sent < BIG; sent += chunk.length) {
            for (byte b : chunk) {
                expectedSum = expectedSum * 31 + b;
            }
        }
        HttpResponse<String> upload = gateway.send(gateway.request(DATASTORE_DOMAIN, 80, "/upload")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new RepeatingStream(chunk, BIG))).build());
        HttpResponse<InputStream> download = gateway.client().send(gateway.request(DATASTORE_DOMAIN, 80, "/download")
                .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        long[] downloaded = TestBackend.drainCounting(download.body());

        assertThat(upload.statusCode()).isEqualTo(200);
        assertThat(upload.body()).isEqualTo(BIG + " " + expectedSum);
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(downloaded).containsExactly(BIG, expectedSum);
    }

    @Test
    void stopsReadingTheTargetWhileTheClientDoesNotRead() throws Exception {
        streamedOut.set(0);
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.socket().setReceiveBufferSize(64 * 1024);
            raw.send("GET /download HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");
            long writtenWhileStalled = stableValue(streamedOut);

            // What the socket buffers and the gateway's outbound buffer hold: far less than the body.
            assertThat(writtenWhileStalled).isLessThan(BIG / 2);
            long total = 0;
            byte[] buffer = new byte[256 * 1024];
            InputStream in = raw.socket().getInputStream();
            while (total < BIG) {
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            assertThat(total).isGreaterThan(BIG);
            // The backend counts a chunk after its write returns: the client may hold the last bytes first.
            await().atMost(Duration.ofSeconds(5)).until(() -> streamedOut.get() >= BIG);
            assertThat(streamedOut.get()).isEqualTo(BIG);
        }
    }

    @Test
    void stopsReadingTheClientWhileTheTargetDoesNotRead() throws Exception {
        uploadRead.set(0);
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.socket().setSendBufferSize(64 * 1024);
            raw.send("POST /upload-held HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\nContent-Length: " + BIG
                    + "\r\n\r\n");
            AtomicLong sent = new AtomicLong();
            byte[] chunk = pattern(64 * 1024);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = raw.socket().getOutputStream();
                    for (long n = 0; n < BIG; n += chunk.length) {
                        out.write(chunk);
                        sent.addAndGet(chunk.length);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(2000);

            assertThat(writer).isNotDone();
            assertThat(sent.get()).isLessThan(BIG / 2);
            releaseUploadReader.countDown();
            writer.get(30, TimeUnit.SECONDS);
            assertThat(raw.readResponse()).startsWith("HTTP/1.1 200 OK").contains("\r\n\r\n" + BIG + " ");
        }
    }

    @Test
    void reusesKeepAliveConnectionsToTheTarget() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/pooled").statusCode()).isEqualTo(200);
        }

        Set<Integer> sourcePorts = new HashSet<>();
        echo.drain().forEach(r -> sourcePorts.add(r.remote().getPort()));
        assertThat(sourcePorts).hasSize(1);
    }

    @Test
    void retriesAnotherTargetOnceWhenAConnectionIsRefused() throws Exception {
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> response = gateway.get(DATASTORE_DOMAIN, 80, "/half-refused/" + i);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("GET /half-refused/" + i + " ");
        }
        assertThat(echo.drain()).hasSize(4);
    }

    @Test
    void retriesABodilessIdempotentRequestOnceWhenAReusedConnectionTurnsOutClosed() throws Exception {
        try (OneShotBackend oneShot = new OneShotBackend();
             TestGateway own = TestGateway.start(snapshot(1, List.of(service(DATASTORE_ID, "datastore",
                     DATASTORE_DOMAIN, null, AuthLevel.NONE, AuthLevel.NONE, 60,
                     http(80, defaultRule(forward("tg-one-shot", 1))))),
                     List.of(group("tg-one-shot", VPC_A, oneShot.port())), List.of()), config -> config.ioThreads(1))) {
            HttpResponse<String> first = own.get(DATASTORE_DOMAIN, 80, "/first");
            HttpResponse<String> second = own.get(DATASTORE_DOMAIN, 80, "/second");
            HttpResponse<String> post = own.send(own.request(DATASTORE_DOMAIN, 80, "/post")
                    .POST(HttpRequest.BodyPublishers.ofString("not replayable")).build());

            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(second.statusCode()).isEqualTo(200);
            assertThat(second.body()).isEqualTo("ok GET");
            assertThat(post.statusCode()).isEqualTo(502);
            assertThat(post.body()).isEqualTo("Bad Gateway: the connection to the target failed");
            assertThat(oneShot.answered()).isEqualTo(2);
        }
    }

    @Test
    void answersBadGatewayWhenNoTargetAcceptsTheConnection() throws Exception {
        HttpResponse<String> response = gateway.get(DATASTORE_DOMAIN, 80, "/all-refused");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).isEqualTo("Bad Gateway: could not connect to the target");
        AccessLogRecord record = gateway.accessLog().take(response);
        assertThat(record.failureReason()).isEqualTo("TargetConnectionFailed");
        assertThat(record.targetGroupArn()).endsWith("tg-all-refused");
    }

    @Test
    void answersGatewayTimeoutWhenTheTargetIsSilentForTheServicesIdleTimeout() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = gateway.get(IMPATIENT_DOMAIN, 80, "/slow");
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).isEqualTo("Gateway Timeout: the target did not respond within 1 seconds");
        assertThat(elapsedMillis).isBetween(900L, 4000L);
        assertThat(gateway.accessLog().take(response).failureReason()).isEqualTo("TargetTimeout");
    }

    @Test
    void servesPipelinedRequestsInOrderOnOneConnection() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send("GET /first HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n"
                    + "POST /second HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\nContent-Length: 4\r\n\r\nbody"
                    + "GET /third HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");

            assertThat(raw.readResponse()).startsWith("HTTP/1.1 200 OK").endsWith("GET /first ");
            assertThat(raw.readResponse()).startsWith("HTTP/1.1 200 OK").endsWith("POST /second body");
            assertThat(raw.readResponse()).startsWith("HTTP/1.1 200 OK").endsWith("GET /third ");
        }
    }

    @Test
    void answersContinueBeforeReadingABodyTheClientHeldBack() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send("PUT /item HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\nContent-Length: 5\r\n"
                    + "Expect: 100-continue\r\n\r\n");
            String interim = raw.readResponse();
            raw.send("hello");

            assertThat(interim).startsWith("HTTP/1.1 100 Continue\r\n");
            assertThat(raw.readResponse()).startsWith("HTTP/1.1 200 OK").endsWith("PUT /item hello");
        }
    }

    @Test
    void answersHttp10ClientsAndClosesTheirConnection() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send("GET /old HTTP/1.0\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");

            String response = raw.readUntilClosed();
            assertThat(response).startsWith("HTTP/1.1 200 OK").endsWith("GET /old ");
        }
    }

    @Test
    void deliversAWholeLargeResponseBeforeClosingAnHttp10Connection() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.socket().setReceiveBufferSize(64 * 1024);
            raw.send("GET /download HTTP/1.0\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n");
            Thread.sleep(500);
            InputStream in = raw.socket().getInputStream();
            byte[] buffer = new byte[256 * 1024];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
            }
            long head = total - BIG;

            assertThat(head).isBetween(50L, 1000L);
        }
    }

    @Test
    void servesHttp2WithPriorKnowledgeManyStreamsOnOneConnection() throws Exception {
        try (H2Client h2 = new H2Client(gateway.port(80))) {
            List<CompletableFuture<H2Client.Response>> responses = new java.util.ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int n = i;
                responses.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return h2.get(DATASTORE_DOMAIN, "/stream/" + n);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (int i = 0; i < 10; i++) {
                H2Client.Response response = responses.get(i).get(20, TimeUnit.SECONDS);
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).isEqualTo("GET /stream/" + i + " ");
            }
        }
        assertThat(gateway.accessLog().takePath("/stream/0").protocol()).isEqualTo("HTTP/2.0");
    }

    @Test
    void upgradesToHttp2OnH2cUpgrade() throws Exception {
        HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> response = h2c.send(gateway.request(DATASTORE_DOMAIN, 80, "/upgraded")
                .POST(HttpRequest.BodyPublishers.ofString("small body")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("POST /upgraded small body");
    }

    // --- helpers -------------------------------------------------------------------------------------------------

    static byte[] pattern(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 7 + (i >> 8));
        }
        return bytes;
    }

    /** Waits until {@code counter} stops moving (the same over 500 ms, within 10 s) and returns its value. */
    static long stableValue(AtomicLong counter) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long previous = -1;
        while (System.nanoTime() < deadline) {
            Thread.sleep(500);
            long now = counter.get();
            if (now == previous) {
                return now;
            }
            previous = now;
        }
        throw new AssertionError("kept moving: " + counter.get());
    }

    static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code total} bytes of {@code chunk} repeated, without holding them. */
    static final class RepeatingStream extends InputStream {
        private final byte[] chunk;
        private final long total;
        private long position;

        RepeatingStream(byte[] chunk, long total) {
            this.chunk = chunk;
            this.total = total;
        }

        @Override
        public int read() {
            if (position >= total) {
                return -1;
            }
            return chunk[(int) (position++ % chunk.length)] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position >= total) {
                return -1;
            }
            int offset = (int) (position % chunk.length);
            int n = (int) Math.min(Math.min(len, chunk.length - offset), total - position);
            System.arraycopy(chunk, offset, b, off, n);
            position += n;
            return n;
        }
    }
}
