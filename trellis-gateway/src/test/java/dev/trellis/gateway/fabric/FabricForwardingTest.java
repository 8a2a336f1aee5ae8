package dev.trellis.gateway.fabric;

import static dev.trellis.gateway.support.Fixtures.ACCOUNT;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_ARN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.NETWORK_ARN;
import static dev.trellis.gateway.support.Fixtures.REGION;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.VPC_B;
import static dev.trellis.gateway.support.Fixtures.datastore;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.pathPrefix;
import static dev.trellis.gateway.support.Fixtures.rule;
import static dev.trellis.gateway.support.Fixtures.service;
import static dev.trellis.gateway.support.Fixtures.targetGroupArn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.support.Signer;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two real gateways on loopback, each with its own snapshot, joined by the fabric: VPC-A's gateway serves the
 * datastore service, whose target group {@link #TG_B} lives in VPC-B; VPC-B's gateway owns that group's target.
 * Fabric certificates come from a test CA shaped like the control plane's.
 */
class FabricForwardingTest {

    static final String TG_A = "tg-0a0a0a0a0a0a0a0a0";
    static final String TG_B = "tg-0b0b0b0b0b0b0b0b0";
    static final String TG_UNKNOWN = "tg-0c0c0c0c0c0c0c0c0";
    static final String VPC_C = "vpc-0ccccccccccccccccc";
    static final String SLOW_ID = "svc-0511111111111111";
    static final String SLOW_DOMAIN = "slow-0511111111111111.7d67968.vpc-lattice-svcs." + REGION + ".on.aws";
    static final Signer CLIENT = new Signer("AKIDEXAMPLEFABRIC", "fabric-secret-key-0000000000000000000000");
    static final TestPki PKI = TestPki.create("Trellis test fabric CA");

    TestBackend backendA;
    TestBackend backendB;
    FabricTls tlsA;
    FabricTls tlsB;
    FabricClient clientA;
    TestGateway gatewayA;
    TestGateway gatewayB;

    @BeforeEach
    void start() throws Exception {
        backendA = TestBackend.start("a-target");
        backendB = TestBackend.start("b-target");
        tlsB = FabricTls.create(VPC_B, PKI.gateway(VPC_B).identity());
        gatewayB = startPeer(tlsB, VPC_B, 0);
        tlsA = FabricTls.create(VPC_A, PKI.gateway(VPC_A).identity());
        clientA = new FabricClient(tlsA);
        // One event loop: the client keeps one connection per peer per loop, so exactly one here.
        gatewayA = TestGateway.start(snapshotA(1, gatewayB.server().fabricPort()), c -> c.ioThreads(1)
                .fabric(clientA).fabricTls(tlsA).fabricListener("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        gatewayA.close();
        gatewayB.close();
        backendA.close();
        backendB.close();
    }

    TestGateway startPeer(FabricTls tls, String vpc, int fabricPort) {
        VpcSnapshot snapshot = new VpcSnapshot(1, vpc, ACCOUNT, REGION, Instant.now(), List.of(),
                List.of(group(TG_B, vpc, backendB)), List.of(), List.of());
        return TestGateway.start(snapshot, c -> c.fabricTls(tls).fabricListener("127.0.0.1", fabricPort)
                .fabric(new FabricClient(tls)));
    }

    VpcSnapshot snapshotA(long revision, int peerPort) {
        return new VpcSnapshot(revision, VPC_A, ACCOUNT, REGION, Instant.now(),
                List.of(datastore(http(80,
                                rule(10, pathPrefix("/local"), forward(TG_A, 100)),
                                rule(20, pathPrefix("/unknown"), forward(TG_UNKNOWN, 100)),
                                defaultRule(forward(TG_B, 100)))),
                        service(SLOW_ID, "slow", SLOW_DOMAIN, null, AuthLevel.NONE, AuthLevel.NONE, 1,
                                http(80, defaultRule(forward(TG_B, 100))))),
                List.of(group(TG_A, VPC_A, backendA), group(TG_B, VPC_B, new int[0]), group(TG_UNKNOWN, VPC_B, new int[0])),
                List.of(new FabricPeer(VPC_B, "127.0.0.1", peerPort)),
                List.of(CLIENT.assumedRole("frontend", "session-7")));
    }

    HttpResponse<String> get(String path) throws Exception {
        return gatewayA.get(DATASTORE_DOMAIN, 80, path);
    }

    @Test
    void forwardsToTheTargetInThePeerVpcWithTheTargetSideHeadersOfTheCallerAVerified() throws Exception {
        String path = "/summary?year=2024";
        HttpResponse<String> response = gatewayA.send(CLIENT.sign(gatewayA.request(DATASTORE_DOMAIN, 80, path),
                        "GET", DATASTORE_DOMAIN, path)
                // What a client may try: none of it reaches the target as sent.
                .header("x-trellis-fabric-source-vpc", "vpc-0eeeeeeeeeeeeeeee")
                .header("x-trellis-fabric-caller-arn", "arn:aws:iam::111111111111:root")
                .header("x-trellis-fabric-target-group", TG_A)
                .header("x-amzn-source-vpc", "vpc-forged")
                .header("x-amzn-lattice-identity", "Principal=forged")
                .header("X-Forwarded-For", "203.0.113.9")
                .GET().build());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("b-target");
        TestBackend.Received received = backendB.take();
        assertThat(received.uri()).isEqualTo(path);
        assertThat(received.header("host")).isEqualTo(DATASTORE_DOMAIN);
        assertThat(received.header("x-amzn-source-vpc")).isEqualTo(VPC_A);
        assertThat(received.header("x-amzn-lattice-network"))
                .isEqualTo("SourceVpcArn=arn:aws:ec2:" + REGION + ":" + ACCOUNT + ":vpc/" + VPC_A);
        assertThat(received.header("x-amzn-lattice-target")).isEqualTo("ServiceArn=" + DATASTORE_ARN
                + "; ServiceNetworkArn=" + NETWORK_ARN + "; TargetGroupArn=" + targetGroupArn(TG_B));
        assertThat(received.header("x-amzn-lattice-identity")).isEqualTo("Principal=arn:aws:sts::" + ACCOUNT
                + ":assumed-role/frontend/session-7; PrincipalOrgID=; SessionName=session-7; Type=AWS_IAM");
        assertThat(received.header("x-forwarded-for")).isEqualTo("203.0.113.9, 127.0.0.1");
        assertThat(received.header("x-forwarded-port")).isEqualTo("80");
        assertThat(received.header("x-forwarded-proto")).isEqualTo("http");
        assertThat(received.header("x-amzn-requestid"))
                .isEqualTo(response.headers().firstValue("x-amzn-requestid").orElseThrow());
        assertThat(received.headers().keySet())
                .noneMatch(name -> name.startsWith("x-trellis-fabric-") || name.startsWith("x-http2-"));
        assertThat(response.headers().map().keySet())
                .noneMatch(name -> name.startsWith("x-trellis-fabric-") || name.startsWith("x-http2-"));
        assertThat(backendA.drain()).isEmpty();

        AccessLogRecord record = gatewayA.accessLog().take(response);
        assertThat(record.failureReason()).isNull();
        assertThat(record.targetGroupArn()).isEqualTo(targetGroupArn(TG_B));
        assertThat(record.destinationVpcId()).isEqualTo(VPC_B);
        assertThat(record.responseCode()).isEqualTo(200);
    }

    @Test
    void anAnonymousCallerGetsNoIdentityHeaderBehindThePeer() throws Exception {
        assertThat(get("/").statusCode()).isEqualTo(200);
        TestBackend.Received received = backendB.take();
        assertThat(received.header("x-amzn-lattice-identity")).isNull();
        assertThat(received.header("x-amzn-source-vpc")).isEqualTo(VPC_A);
    }

    @Test
    void streamsLargeBodiesBothWays() throws Exception {
        long upload = 8L * 1024 * 1024;
        long download = 48L * 1024 * 1024;
        TestBackend.Responder bulk = (exchange, request) -> {
            long[] got = TestBackend.drainCounting(exchange.getRequestBody());
            exchange.getResponseHeaders().set("x-received", got[0] + ":" + got[1]);
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                byte[] chunk = pattern(64 * 1024);
                for (long sent = 0; sent < download; sent += chunk.length) {
                    out.write(chunk);
                }
            }
        };
        backendA.readBodies(false).responder(bulk);
        backendB.readBodies(false).responder(bulk);
        long[] expectedUp = TestBackend.drainCounting(new Repeating(pattern(10_000), upload));
        long[] expectedDown = TestBackend.drainCounting(new Repeating(pattern(64 * 1024), download));

        long localMillis = 0;
        long fabricMillis = 0;
        for (String path : List.of("/local/bulk", "/bulk")) {
            long started = System.nanoTime();
            HttpResponse<InputStream> response = gatewayA.client().send(gatewayA.request(DATASTORE_DOMAIN, 80, path)
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Repeating(pattern(10_000), upload)))
                    .build(), HttpResponse.BodyHandlers.ofInputStream());
            long[] got = TestBackend.drainCounting(response.body());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-received")).hasValue(expectedUp[0] + ":" + expectedUp[1]);
            assertThat(got).containsExactly(expectedDown);
            if (path.startsWith("/local")) {
                localMillis = millis;
            } else {
                fabricMillis = millis;
            }
        }
        System.out.printf("fabric: %d MiB up and %d MiB down in %d ms through gateways A and B (%d ms A alone)%n",
                upload >> 20, download >> 20, fabricMillis, localMillis);
    }

    @Test
    void aClientThatStopsReadingHoldsTheTargetBackAcrossTheFabric() throws Exception {
        long total = 128L * 1024 * 1024;
        AtomicLong written = new AtomicLong();
        backendB.responder((exchange, request) -> {
            exchange.sendResponseHeaders(200, total);
            try (OutputStream out = exchange.getResponseBody()) {
                byte[] chunk = new byte[64 * 1024];
                for (long sent = 0; sent < total; sent += chunk.length) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
            }
        });
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", gatewayA.port(80)));
            socket.getOutputStream().write(("GET /stream HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            int first = in.read(buffer);
            assertThat(first).isPositive();
            Thread.sleep(2000);
            long heldBack = written.get();
            // Bytes of the response, head included: at least the body's length once all of it arrived.
            long read = first;
            int n;
            while (read < total && (n = in.read(buffer)) > 0) {
                read += n;
            }
            System.out.printf("fabric: the target had written %d MiB of %d MiB while the client did not read%n",
                    heldBack >> 20, total >> 20);
            // Socket buffers and one stream window hold some; far from all of it.
            assertThat(heldBack).isLessThan(total / 3);
            assertThat(read).isGreaterThanOrEqualTo(total);
        }
    }

    @Test
    void manyConcurrentRequestsShareOneConnectionToThePeer() throws Exception {
        int requests = 48;
        CountDownLatch allArrived = new CountDownLatch(requests);
        backendB.responder((exchange, request) -> {
            allArrived.countDown();
            try {
                // Every request is in flight at once before any is answered.
                allArrived.await(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            TestBackend.respond(exchange, 200, request.uri());
        });
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            responses.add(gatewayA.client().sendAsync(gatewayA.request(DATASTORE_DOMAIN, 80, "/r" + i).GET().build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = responses.get(i).get(20, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("/r" + i);
        }
        assertThat(allArrived.getCount()).isZero();
        assertThat(clientA.connectionsEstablished()).isEqualTo(1);
        assertThat(gatewayB.server().fabricServer().connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void headAndNoContentResponsesCrossTheFabricAsTheyDoLocally() throws Exception {
        TestBackend.Responder responder = (exchange, request) -> {
            if (request.method().equals("HEAD")) {
                exchange.getResponseHeaders().set("Content-Type", "text/plain");
                exchange.sendResponseHeaders(200, -1);
            } else {
                exchange.sendResponseHeaders(204, -1);
            }
        };
        backendA.responder(responder);
        backendB.responder(responder);
        for (String path : List.of("/local/x", "/x")) {
            HttpResponse<String> head = gatewayA.send(gatewayA.request(DATASTORE_DOMAIN, 80, path)
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
            assertThat(head.statusCode()).as(path).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            HttpResponse<String> deleted = gatewayA.send(gatewayA.request(DATASTORE_DOMAIN, 80, path)
                    .DELETE().build());
            assertThat(deleted.statusCode()).as(path).isEqualTo(204);
            assertThat(deleted.body()).isEmpty();
        }
        assertThat(backendB.drain()).extracting(TestBackend.Received::method).containsExactly("HEAD", "DELETE");
    }

    @Test
    void aSmallPostWithContentLengthArrivesWhole() throws Exception {
        backendB.responder((exchange, request) -> TestBackend.respond(exchange, 201,
                request.header("content-length") + ":" + request.bodyText()));
        HttpResponse<String> response = gatewayA.send(gatewayA.request(DATASTORE_DOMAIN, 80, "/orders")
                .POST(HttpRequest.BodyPublishers.ofString("{\"item\":1}")).build());
        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.body()).isEqualTo("10:{\"item\":1}");
    }

    @Test
    void anUnknownTargetGroupAtThePeerIs502WithTheReason() throws Exception {
        HttpResponse<String> response = get("/unknown");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).isEqualTo("Bad Gateway: target group " + TG_UNKNOWN
                + " is not served by the gateway of " + VPC_B);
        assertThat(response.headers().map().keySet()).noneMatch(name -> name.startsWith("x-trellis-fabric-"));
        assertThat(gatewayA.accessLog().take(response).failureReason()).isEqualTo("UnknownTargetGroup");
    }

    @Test
    void aTargetSilentBehindThePeerIs504AfterTheServicesIdleTimeout() throws Exception {
        backendB.responder((exchange, request) -> {
            try {
                Thread.sleep(4000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            TestBackend.respond(exchange, 200, "late");
        });
        long started = System.nanoTime();
        HttpResponse<String> response = gatewayA.get(SLOW_DOMAIN, 80, "/");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).isEqualTo("Gateway Timeout: the target did not respond within 1 seconds");
        assertThat(millis).isBetween(900L, 3500L);
        assertThat(gatewayA.accessLog().take(response).failureReason()).isEqualTo("TargetTimeout");
    }

    @Test
    void aPeerThatIsDownIs502WhileLocalTrafficFlowsAndTheClientReconnectsWhenItIsBack() throws Exception {
        assertThat(get("/").statusCode()).isEqualTo(200);
        int fabricPort = gatewayB.server().fabricPort();
        gatewayB.close();

        HttpResponse<String> down = get("/");
        assertThat(down.statusCode()).isEqualTo(502);
        assertThat(down.body()).startsWith("Bad Gateway: could not connect to the gateway of " + VPC_B
                + " at 127.0.0.1:" + fabricPort);
        assertThat(gatewayA.accessLog().take(down).failureReason()).isEqualTo("FabricConnectionFailed");
        HttpResponse<String> local = get("/local/x");
        assertThat(local.statusCode()).isEqualTo(200);
        assertThat(local.body()).isEqualTo("a-target");

        gatewayB = startPeer(tlsB, VPC_B, fabricPort);
        HttpResponse<String> back = get("/");
        assertThat(back.statusCode()).isEqualTo(200);
        assertThat(back.body()).isEqualTo("b-target");
        assertThat(clientA.connectionsEstablished()).isEqualTo(2);
    }

    @Test
    void aServerWhoseCertificateNamesAnotherVpcIsRefusedByTheClient() throws Exception {
        FabricTls impostorTls = FabricTls.create(VPC_C, PKI.gateway(VPC_C).identity());
        try (TestGateway impostor = startPeer(impostorTls, VPC_C, 0)) {
            gatewayA.snapshots().swap(snapshotA(3, impostor.server().fabricPort()));

            HttpResponse<String> response = get("/");

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).contains("is refused: its certificate names ["
                    + FabricTls.gatewayName(VPC_C) + "], not " + FabricTls.gatewayName(VPC_B));
            assertThat(gatewayA.accessLog().take(response).failureReason()).isEqualTo("FabricPeerRejected");
            assertThat(backendB.drain()).isEmpty();
        }
    }

    @Test
    void renewingTheIdentityKeepsTheOpenConnectionAndNewHandshakesUseTheNewCertificate() throws Exception {
        assertThat(get("/").statusCode()).isEqualTo(200);
        var oldSerial = tlsB.certificate().getSerialNumber();

        tlsB.update(PKI.gateway(VPC_B).identity());
        tlsA.update(PKI.gateway(VPC_A).identity());

        assertThat(tlsB.certificate().getSerialNumber()).isNotEqualTo(oldSerial);
        for (int i = 0; i < 3; i++) {
            assertThat(get("/after-renewal").statusCode()).isEqualTo(200);
        }
        assertThat(clientA.connectionsEstablished()).isEqualTo(1);
        assertThat(gatewayB.server().fabricServer().connectionsAccepted()).isEqualTo(1);
        // A new handshake sees the renewed certificate.
        assertThat(FabricListenerTest.serverCertificate(PKI.jdkClient(PKI.gateway(VPC_A)),
                gatewayB.server().fabricPort()).getSerialNumber()).isEqualTo(tlsB.certificate().getSerialNumber());
    }

    static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        return bytes;
    }

    /** {@code total} bytes of {@code chunk}, repeated. */
    static final class Repeating extends InputStream {
        private final byte[] chunk;
        private final long total;
        private long position;

        Repeating(byte[] chunk, long total) {
            this.chunk = chunk;
            this.total = total;
        }

        @Override
        public int read() {
            return position >= total ? -1 : chunk[(int) (position++ % chunk.length)] & 0xff;
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
