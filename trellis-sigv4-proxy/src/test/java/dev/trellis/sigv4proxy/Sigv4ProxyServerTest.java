package dev.trellis.sigv4proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.trellis.auth.sigv4.SigV4Outcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The proxy against a real upstream on loopback that verifies each request's signature with Trellis's SigV4
 * verifier: what is signed and sent, streaming both ways, failures and redirects.
 */
class Sigv4ProxyServerTest {

    private static final String NAME = "vpc-lattice-svcs";
    private static final String REGION = "us-west-2";

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private VerifyingBackend backend;
    private Sigv4ProxyServer proxy;

    @BeforeEach
    void startBackend() throws IOException {
        backend = new VerifyingBackend(NAME, REGION);
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    private Sigv4ProxyServer proxy(Consumer<Sigv4ProxyConfig.Builder> settings) throws InterruptedException {
        Sigv4ProxyConfig.Builder config = Sigv4ProxyConfig.builder()
                .bindAddress("127.0.0.1").port(0)
                .host("127.0.0.1:" + backend.port()).scheme("http")
                .signingName(NAME).region(REGION)
                .credentials(StaticCredentialsProvider.create(AwsSessionCredentials.create(
                        VerifyingBackend.ACCESS_KEY, VerifyingBackend.SECRET, VerifyingBackend.SESSION_TOKEN)));
        settings.accept(config);
        proxy = Sigv4ProxyServer.start(config.build(), null);
        return proxy;
    }

    private URI url(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + proxy.port() + pathAndQuery);
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(url(path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void signsWithTheSessionCredentialsAndTheVerifierAcceptsTheSignature() throws Exception {
        backend.on("/summary", true, VerifyingBackend.verdict());
        proxy(c -> { });

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(url("/summary?a=1&b=two%20words"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"hello\":1}")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.body()).isEqualTo("authenticated as arn:aws:iam::111122223333:user/proxy-tester");
        assertThat(response.statusCode()).isEqualTo(200);
        VerifyingBackend.Seen seen = backend.seen.get("/summary");
        assertThat(seen.header("Authorization")).startsWith("AWS4-HMAC-SHA256 Credential=" + VerifyingBackend.ACCESS_KEY
                + "/").contains("/" + REGION + "/" + NAME + "/aws4_request");
        assertThat(seen.header("X-Amz-Security-Token")).isEqualTo(VerifyingBackend.SESSION_TOKEN);
        assertThat(seen.header("x-amz-content-sha256")).isEqualTo(HexFormat.of().formatHex(MessageDigest
                .getInstance("SHA-256").digest("{\"hello\":1}".getBytes(StandardCharsets.UTF_8))));
        assertThat(seen.header("Host")).isEqualTo("127.0.0.1:" + backend.port());
    }

    @Test
    void unsignedPayloadIsSignedAsUnsignedPayloadAndTheBodyIsNotHashed() throws Exception {
        backend.on("/popular", false, VerifyingBackend.verdict());
        proxy(c -> c.unsignedPayload(true));

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(url("/popular"))
                .PUT(HttpRequest.BodyPublishers.ofString("some body")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.body()).startsWith("authenticated as ");
        VerifyingBackend.Seen seen = backend.seen.get("/popular");
        assertThat(seen.header("x-amz-content-sha256")).isEqualTo("UNSIGNED-PAYLOAD");
        assertThat(seen.header("Authorization")).containsPattern("SignedHeaders=[^,]*x-amz-content-sha256");
    }

    @Test
    void signHostIsTheHostSignedAndSentWhileTheConnectionGoesToHost() throws Exception {
        backend.on("/", true, VerifyingBackend.verdict());
        proxy(c -> c.signHost("datastore.sarathy.io"));

        HttpResponse<String> response = get("/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(backend.seen.get("/").header("Host")).isEqualTo("datastore.sarathy.io");
        assertThat(backend.seen.get("/").header("Authorization")).containsPattern("SignedHeaders=[^,]*host");
    }

    @Test
    void withoutHostTheRequestsOwnHostIsTheUpstream() throws Exception {
        backend.on("/own-host", true, VerifyingBackend.verdict());
        proxy = Sigv4ProxyServer.start(Sigv4ProxyConfig.builder().bindAddress("127.0.0.1").port(0).scheme("http")
                .signingName(NAME).region(REGION).credentials(StaticCredentialsProvider.create(
                        AwsSessionCredentials.create(VerifyingBackend.ACCESS_KEY, VerifyingBackend.SECRET,
                                VerifyingBackend.SESSION_TOKEN))).build(), null);

        String response = raw("GET /own-host HTTP/1.1\r\nHost: 127.0.0.1:" + backend.port()
                + "\r\nConnection: close\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 200").endsWith("authenticated as "
                + "arn:aws:iam::111122223333:user/proxy-tester");
    }

    @Test
    void stripDropsHeadersCustomHeadersAreAddedAndDuplicateHeadersCopied() throws Exception {
        backend.on("/headers", true, VerifyingBackend.verdict());
        proxy(c -> c.strip("X-Secret-Header").customHeaders("x-team=frontend, x-env=demo")
                .duplicateHeader("X-Request-Id"));

        HttpResponse<String> response = get("/headers", "X-Secret-Header", "drop me", "X-Kept", "keep me",
                "X-Request-Id", "r-1", "x-env", "overridden");

        assertThat(response.statusCode()).isEqualTo(200);
        VerifyingBackend.Seen seen = backend.seen.get("/headers");
        assertThat(seen.header("X-Secret-Header")).isNull();
        assertThat(seen.header("X-Kept")).isEqualTo("keep me");
        assertThat(seen.header("x-team")).isEqualTo("frontend");
        assertThat(seen.header("x-env")).isEqualTo("demo");
        assertThat(seen.header("X-Original-X-Request-Id")).isEqualTo("r-1");
    }

    @Test
    void aClientsOwnAuthorizationIsReplacedBySignature() throws Exception {
        backend.on("/replaced", true, VerifyingBackend.verdict());
        proxy(c -> { });

        HttpResponse<String> response = get("/replaced", "Authorization", "Bearer something-else",
                "X-Amz-Date", "20000101T000000Z");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(backend.seen.get("/replaced").header("Authorization")).startsWith("AWS4-HMAC-SHA256 ");
    }

    @Test
    void theRequestBodyStreamsThroughBeforeTheClientHasSentAllOfIt() throws Exception {
        CountDownLatch firstPartArrived = new CountDownLatch(1);
        backend.on("/upload", false, (exchange, outcome) -> {
            InputStream in = exchange.getRequestBody();
            byte[] first = new byte[5];
            // readFully, not readNBytes: that asks for 0 more bytes at the end, which blocks on a chunk header.
            new java.io.DataInputStream(in).readFully(first);
            firstPartArrived.countDown();
            String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            VerifyingBackend.send(exchange, outcome instanceof SigV4Outcome.Authenticated ? 200 : 403,
                    new String(first, StandardCharsets.UTF_8) + rest);
        });
        proxy(c -> c.unsignedPayload(true));

        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: client\r\nTransfer-Encoding: chunked\r\nConnection: close"
                    + "\r\n\r\n5\r\nfirst\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(firstPartArrived.await(10, TimeUnit.SECONDS))
                    .as("the upstream got the first part while the client still holds the rest").isTrue();
            out.write("5\r\n-last\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 200").endsWith("first-last");
        }
    }

    @Test
    void theResponseBodyStreamsBackBeforeTheUpstreamHasSentAllOfIt() throws Exception {
        CountDownLatch clientGotFirstPart = new CountDownLatch(1);
        backend.on("/download", false, (exchange, outcome) -> {
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write("first-part|".getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                if (!clientGotFirstPart.await(10, TimeUnit.SECONDS)) {
                    out.write("TIMED-OUT".getBytes(StandardCharsets.UTF_8));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.write("second-part".getBytes(StandardCharsets.UTF_8));
            out.close();
        });
        proxy(c -> c.unsignedPayload(true));

        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(url("/download")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            byte[] first = in.readNBytes("first-part|".length());
            assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("first-part|");
            clientGotFirstPart.countDown();
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("second-part");
        }
    }

    @Test
    void a64MegabyteBodyGoesUpAndAnother64MegabytesComeBackIntact() throws Exception {
        byte[] up = new byte[64 * 1024 * 1024];
        new Random(7).nextBytes(up);
        byte[] down = new byte[64 * 1024 * 1024];
        new Random(8).nextBytes(down);
        // Not an echo: the JDK client reads the response only after sending the whole body.
        backend.on("/transfer", false, (exchange, outcome) -> {
            String received = VerifyingBackend.sizeAndHash(exchange.getRequestBody());
            exchange.getResponseHeaders().add("X-Received", received);
            exchange.sendResponseHeaders(outcome instanceof SigV4Outcome.Authenticated ? 200 : 403, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < down.length; i += 65536) {
                    out.write(down, i, 65536);
                }
            }
        });
        proxy(c -> c.unsignedPayload(true));

        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(url("/transfer"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(up)).build(), HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Received")).hasValue(up.length + " "
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(up)));
        try (InputStream in = response.body()) {
            assertThat(VerifyingBackend.sizeAndHash(in)).isEqualTo(down.length + " "
                    + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(down)));
        }
    }

    @Test
    void aSignedPayloadLargerThanTheLimitIs413WithTheAdvice() throws Exception {
        backend.on("/big", true, VerifyingBackend.verdict());
        proxy(c -> c.maxSignedBody(1024));

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(url("/big"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[4096])).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).isEqualTo("sigv4-proxy: the body is larger than --max-signed-body (1024 bytes),"
                + " the most the proxy holds to hash it; use --unsigned-payload to stream it\n");
        assertThat(backend.seen).doesNotContainKey("/big");
    }

    @Test
    void anUpstreamThatIsDownIs502WithAOneLineReason() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        int port = closedPort;
        proxy(c -> c.host("127.0.0.1:" + port));

        HttpResponse<String> response = get("/summary");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).startsWith("sigv4-proxy: cannot connect to the upstream 127.0.0.1:" + port + ": ")
                .endsWith("\n");
        assertThat(response.body().lines()).hasSize(1);
    }

    @Test
    void anUpstreamThatHangsUpWithoutAnsweringIs502() throws Exception {
        try (ServerSocket rude = new ServerSocket(0)) {
            Thread t = new Thread(() -> {
                try (Socket s = rude.accept()) {
                    s.getInputStream().read();
                } catch (IOException e) {
                    // the test ends
                }
            });
            t.start();
            proxy(c -> c.host("127.0.0.1:" + rude.getLocalPort()));

            HttpResponse<String> response = get("/summary");

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).isEqualTo("sigv4-proxy: the upstream closed the connection before it"
                    + " answered\n");
        }
    }

    @Test
    void aRedirectIsReturnedToTheClientNotFollowed() throws Exception {
        backend.on("/old", true, (exchange, outcome) -> {
            exchange.getResponseHeaders().add("Location", "http://127.0.0.1:" + backend.port() + "/new");
            exchange.sendResponseHeaders(302, -1);
        });
        backend.on("/new", true, VerifyingBackend.verdict());
        proxy(c -> { });

        HttpResponse<String> response = get("/old");

        assertThat(response.statusCode()).isEqualTo(302);
        assertThat(response.headers().firstValue("Location")).hasValue("http://127.0.0.1:" + backend.port() + "/new");
        assertThat(backend.seen).doesNotContainKey("/new");
    }

    @Test
    void keepAliveCarriesSeveralRequestsOnOneClientConnection() throws Exception {
        backend.on("/summary", true, VerifyingBackend.verdict());
        proxy(c -> { });
        String request = "GET /summary HTTP/1.1\r\nHost: x\r\n\r\n";

        String responses = raw(request + request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"), 2);

        assertThat(responses.split("authenticated as ", -1)).hasSize(3);
    }

    @Test
    void verboseLogsMethodUrlStatusAndTimeButNeverCredentialsOrSignatures() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("dev.trellis.sigv4proxy");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        Level before = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.addAppender(appender);
        try {
            backend.on("/summary", true, VerifyingBackend.verdict());
            proxy(c -> c.verbose(true));

            assertThat(get("/summary?x=1").statusCode()).isEqualTo(200);

            String signature = backend.seen.get("/summary").header("Authorization").replaceAll(".*Signature=", "");
            String logged = String.join("\n", appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .toList());
            assertThat(logged).containsPattern("GET http://127\\.0\\.0\\.1:" + backend.port()
                    + "/summary\\?x=1 -> 200 in [0-9]+ ms");
            assertThat(logged).doesNotContain(VerifyingBackend.SECRET, VerifyingBackend.SESSION_TOKEN, signature,
                    VerifyingBackend.ACCESS_KEY);
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(before);
        }
    }

    @Test
    void missingNameOrRegionOrABadSchemeIsRefusedWithTheFlag() {
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Sigv4ProxyConfig.builder().region(REGION)
                .credentials(StaticCredentialsProvider.create(AwsSessionCredentials.create("a", "b", "c"))).build()))
                .hasMessageStartingWith("--name");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Sigv4ProxyConfig.builder().signingName(NAME)
                .region(REGION).scheme("ftp").credentials(StaticCredentialsProvider.create(
                        AwsSessionCredentials.create("a", "b", "c"))).build()))
                .hasMessage("--upstream-url-scheme must be http or https, not 'ftp'");
    }

    /** Sends raw bytes to the proxy and reads until {@code responses} HTTP responses have ended or it closes. */
    private String raw(String bytes) throws IOException {
        return raw(bytes, 1);
    }

    private String raw(String bytes, int responses) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(bytes.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(all);
            return all.toString(StandardCharsets.UTF_8);
        }
    }
}
