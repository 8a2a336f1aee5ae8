package dev.trellis.gateway.fabric;

import static dev.trellis.gateway.support.Fixtures.ACCOUNT;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_ARN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_CUSTOM;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_ID;
import static dev.trellis.gateway.support.Fixtures.NETWORK_ARN;
import static dev.trellis.gateway.support.Fixtures.NETWORK_ID;
import static dev.trellis.gateway.support.Fixtures.REGION;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.VPC_B;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.pathPrefix;
import static dev.trellis.gateway.support.Fixtures.rule;
import static dev.trellis.gateway.support.Fixtures.serviceArn;
import static dev.trellis.gateway.support.Fixtures.targetGroupArn;
import static dev.trellis.gateway.support.GrpcEcho.ADMIN;
import static dev.trellis.gateway.support.GrpcEcho.CLIENT_STREAM;
import static dev.trellis.gateway.support.GrpcEcho.SECURE_UNARY;
import static dev.trellis.gateway.support.GrpcEcho.SERVER_STREAM;
import static dev.trellis.gateway.support.GrpcEcho.UNARY;
import static dev.trellis.gateway.support.GrpcEcho.WATCH_ENDINGS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.support.GrpcEcho;
import dev.trellis.gateway.support.SelfSignedTls;
import dev.trellis.gateway.support.Signer;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.gateway.tls.TestCa;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.ListenerRule;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * gRPC across the fabric with real grpc-java clients and servers: client → gateway A (its HTTPS listener on 443
 * over TLS, or its HTTP listener on 80 over h2c) → fabric → gateway B → grpc-java servers in B's VPC (GRPC groups
 * over h2c and over h2-with-TLS). Unary and the three streaming kinds, trailers-only errors and errors after
 * messages, and auth at the first hop with the verified caller delivered to B's target.
 */
class FabricGrpcTest {

    static final String TG_GRPC = "tg-0b0b0b0b0b0b0b0b1";
    static final String TG_GRPC_TLS = "tg-0b0b0b0b0b0b0b0b2";
    static final String TG_DOWN = "tg-0b0b0b0b0b0b0b0b3";
    static final MethodDescriptor<String, String> DOWN = GrpcEcho.method("test.Down", "Call",
            MethodDescriptor.MethodType.UNARY);
    static final String SUFFIX = "7d67968.vpc-lattice-svcs." + REGION + ".on.aws";
    static final String ACM_ARN = "arn:aws:acm:" + REGION + ":" + ACCOUNT
            + ":certificate/6c0e4a1e-5f1d-4c1e-9a70-0123456789cd";
    static final String SECRET = "fabric-grpc-secret-key-00000000000000000";
    static final Signer OPERATOR = new Signer("AKIDEXAMPLEFABRICGRPC", SECRET);
    static final String ALLOW_ALL = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\"}]}";
    /** Anyone may call test.Echo and test.Secure with POST; test.Admin/Reset only the grpc-operator role. */
    static final String POLICY = """
            {"Version":"2012-10-17","Statement":[
             {"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke",
              "Resource":["arn:aws:vpc-lattice:us-west-2:615847537300:service/%1$s/test.Echo/*",
                          "arn:aws:vpc-lattice:us-west-2:615847537300:service/%1$s/test.Down/*",
                          "arn:aws:vpc-lattice:us-west-2:615847537300:service/%1$s/test.Secure/*"],
              "Condition":{"StringEquals":{"vpc-lattice-svcs:RequestMethod":"POST"}}},
             {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::615847537300:role/grpc-operator"},
              "Action":"vpc-lattice-svcs:Invoke",
              "Resource":"arn:aws:vpc-lattice:us-west-2:615847537300:service/%1$s/test.Admin/Reset"}]}
            """.formatted(DATASTORE_ID);
    static final String TICKER_ID = "svc-0711111111111111";
    static final String TICKER_DOMAIN = "ticker-0711111111111111." + SUFFIX;
    static final TestPki PKI = TestPki.create("Trellis test fabric CA");

    static Path dir;
    static Server plain;
    static Server tls;
    static GrpcEcho.HeaderRecorder arrivals = new GrpcEcho.HeaderRecorder();
    static TestGateway gatewayA;
    static TestGateway gatewayB;
    static ManagedChannel overTls;
    static ManagedChannel overH2c;
    static ManagedChannel signed;
    static ManagedChannel tickerTls;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("fabric-grpc");
        plain = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(arrivals.intercept(GrpcEcho.echo("b")))
                .addService(arrivals.intercept(GrpcEcho.admin()))
                .build().start();
        Path[] pem = SelfSignedTls.create().writePem(Files.createDirectory(dir.resolve("target")));
        tls = Grpc.newServerBuilderForPort(0, TlsServerCredentials.create(pem[0].toFile(), pem[1].toFile()))
                .addService(GrpcEcho.secure()).build().start();

        FabricTls tlsB = FabricTls.create(VPC_B, PKI.gateway(VPC_B).identity());
        gatewayB = TestGateway.start(new VpcSnapshot(1, VPC_B, ACCOUNT, REGION, Instant.now(), List.of(),
                        List.of(grpcGroup(TG_GRPC, VPC_B, "HTTP", plain.getPort()),
                                grpcGroup(TG_GRPC_TLS, VPC_B, "HTTPS", tls.getPort()),
                                grpcGroup(TG_DOWN, VPC_B, "HTTP", closedPort())),
                        List.of(), List.of()),
                c -> c.fabricTls(tlsB).fabricListener("127.0.0.1", 0).fabric(new FabricClient(tlsB)));

        TestCa ca = new TestCa("Trellis test CA");
        Path caPem = ca.writePem(dir);
        FabricTls tlsA = FabricTls.create(VPC_A, PKI.gateway(VPC_A).identity());
        VpcSnapshot a = new VpcSnapshot(1, VPC_A, ACCOUNT, REGION, Instant.now(), List.of(datastore(), ticker()),
                List.of(grpcGroup(TG_GRPC, VPC_B, "HTTP"), grpcGroup(TG_GRPC_TLS, VPC_B, "HTTPS"),
                        grpcGroup(TG_DOWN, VPC_B, "HTTP")),
                List.of(new FabricPeer(VPC_B, "127.0.0.1", gatewayB.server().fabricPort())),
                List.of(OPERATOR.assumedRole("grpc-operator", "ops", ALLOW_ALL)),
                List.of(ca.issue(null, "*." + SUFFIX), ca.issue(ACM_ARN, "*.sarathy.io")), List.of());
        gatewayA = TestGateway.start(a, c -> c.mapPort(443, 0)
                .fabric(new FabricClient(tlsA)).fabricTls(tlsA).fabricListener("127.0.0.1", 0));

        TlsChannelCredentials.Builder trustCa = TlsChannelCredentials.newBuilder().trustManager(caPem.toFile());
        overTls = Grpc.newChannelBuilderForAddress("127.0.0.1", gatewayA.port(443), trustCa.build())
                .overrideAuthority(DATASTORE_DOMAIN).build();
        overH2c = Grpc.newChannelBuilderForAddress("127.0.0.1", gatewayA.port(80),
                InsecureChannelCredentials.create()).overrideAuthority(DATASTORE_DOMAIN).build();
        tickerTls = Grpc.newChannelBuilderForAddress("127.0.0.1", gatewayA.port(443), trustCa.build())
                .overrideAuthority(TICKER_DOMAIN).build();
        signed = Grpc.newChannelBuilderForAddress("127.0.0.1", gatewayA.port(443), trustCa.build())
                .overrideAuthority(DATASTORE_CUSTOM).intercept(GrpcEcho.sigV4(OPERATOR, SECRET)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        for (ManagedChannel channel : List.of(overTls, overH2c, signed, tickerTls)) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        gatewayA.close();
        gatewayB.close();
        plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @BeforeEach
    void clear() {
        gatewayA.accessLog().clear();
        arrivals.clear();
    }

    /** The datastore service in VPC-A's snapshot: HTTPS on 443 and HTTP on 80, the same rules to B's groups. */
    static ServiceEntry datastore() {
        return new ServiceEntry(DATASTORE_ID, serviceArn(DATASTORE_ID), "datastore", DATASTORE_DOMAIN,
                DATASTORE_CUSTOM, ACM_ARN, NETWORK_ID, NETWORK_ARN, AuthLevel.NONE, new AuthLevel("AWS_IAM", POLICY),
                60, List.of(listener("HTTPS", 443), listener("HTTP", 80)), List.of());
    }

    /** A service with a 1-second idle timeout, open to anyone, on the same listeners and groups. */
    static ServiceEntry ticker() {
        return new ServiceEntry(TICKER_ID, serviceArn(TICKER_ID), "ticker", TICKER_DOMAIN, null, null, NETWORK_ID,
                NETWORK_ARN, AuthLevel.NONE, AuthLevel.NONE, 1, List.of(listener("HTTPS", 443)), List.of());
    }

    static ServiceListener listener(String protocol, int port) {
        return new ServiceListener("listener-0" + protocol.toLowerCase() + port, "arn:listener/" + protocol + port,
                protocol, port, List.<ListenerRule>of(
                        rule(10, pathPrefix("/test.Secure/"), forward(TG_GRPC_TLS, 1)),
                        rule(20, pathPrefix("/test.Down/"), forward(TG_DOWN, 1)),
                        defaultRule(forward(TG_GRPC, 1))));
    }

    static TargetGroupEntry grpcGroup(String id, String vpc, String protocol, int... ports) {
        List<TargetGroupEntry.Target> targets = new ArrayList<>();
        for (int port : ports) {
            targets.add(new TargetGroupEntry.Target("127.0.0.1", port, false));
        }
        return new TargetGroupEntry(id, targetGroupArn(id), "IP", protocol, "GRPC", 50051, vpc, null, targets);
    }

    /** A loopback port nothing listens on (bound, then released). */
    static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    /** Each way into gateway A, with what B's target should see as {@code x-forwarded-proto} and port. */
    static Map<ManagedChannel, String> entries() {
        return Map.of(overTls, "https:443", overH2c, "http:80");
    }

    @Test
    void unaryCallsReachTheTargetInVpcBWithTheFirstHopsForwardingHeaders() throws Exception {
        for (Map.Entry<ManagedChannel, String> entry : entries().entrySet()) {
            String[] protoPort = entry.getValue().split(":");
            assertThat(ClientCalls.blockingUnaryCall(entry.getKey(), UNARY, options(), "hello"))
                    .isEqualTo("b:hello");

            GrpcEcho.Arrival arrival = arrivals.take();
            assertThat(arrival.method()).isEqualTo("test.Echo/Unary");
            assertThat(arrival.header("x-forwarded-proto")).as(entry.getValue()).isEqualTo(protoPort[0]);
            assertThat(arrival.header("x-forwarded-port")).as(entry.getValue()).isEqualTo(protoPort[1]);
            assertThat(arrival.header("x-amzn-source-vpc")).isEqualTo(VPC_A);
            assertThat(arrival.header("x-amzn-lattice-target")).isEqualTo("ServiceArn=" + DATASTORE_ARN
                    + "; ServiceNetworkArn=" + NETWORK_ARN + "; TargetGroupArn=" + targetGroupArn(TG_GRPC));
            assertThat(arrival.headers().keys()).noneMatch(name -> name.startsWith("x-trellis-fabric-"));
            AccessLogRecord record = gatewayA.accessLog().takePath("/test.Echo/Unary");
            assertThat(record.destinationVpcId()).isEqualTo(VPC_B);
            assertThat(record.targetGroupArn()).isEqualTo(targetGroupArn(TG_GRPC));
            assertThat(record.protocol()).isEqualTo("HTTP/2.0");
            assertThat(record.responseCode()).isEqualTo(200);
        }
    }

    @Test
    void aUnaryCallReachesATlsTargetInVpcB() {
        for (ManagedChannel channel : entries().keySet()) {
            assertThat(ClientCalls.blockingUnaryCall(channel, SECURE_UNARY, options(), "hi")).isEqualTo("tls:hi");
        }
    }

    @Test
    void serverStreamingDeliversEveryMessageThenTheOkTrailers() {
        for (ManagedChannel channel : entries().keySet()) {
            Iterator<String> items = ClientCalls.blockingServerStreamingCall(channel, SERVER_STREAM, options(),
                    "500");
            List<String> received = new ArrayList<>();
            items.forEachRemaining(received::add);
            assertThat(received).hasSize(500).startsWith("item-1").endsWith("item-500");
        }
    }

    @Test
    void clientStreamingSendsEveryMessageBeforeTheAnswer() throws Exception {
        for (ManagedChannel channel : entries().keySet()) {
            CompletableFuture<String> answer = new CompletableFuture<>();
            StreamObserver<String> requests = ClientCalls.asyncClientStreamingCall(
                    channel.newCall(CLIENT_STREAM, options()), GrpcEcho.last(answer));
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 200; i++) {
                requests.onNext("p" + i);
                expected.append("p").append(i).append('+');
            }
            requests.onCompleted();
            assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo(expected.toString());
        }
    }

    @Test
    void bidiStreamingPingPongsAcrossTheFabric() throws Exception {
        for (ManagedChannel channel : entries().keySet()) {
            GrpcEcho.pingPong(channel);
        }
    }

    @Test
    void aTrailersOnlyErrorCrossesTheFabricWithItsStatusAndTrailers() throws Exception {
        for (ManagedChannel channel : entries().keySet()) {
            GrpcEcho.assertTrailersOnlyError(channel);
            AccessLogRecord record = gatewayA.accessLog().takePath("/test.Echo/Unary");
            assertThat(record.responseCode()).isEqualTo(200);
            assertThat(record.failureReason()).isNull();
        }
    }

    @Test
    void anErrorAfterMessagesCrossesTheFabricAsTrailersAfterTheMessages() {
        for (ManagedChannel channel : entries().keySet()) {
            GrpcEcho.assertErrorAfterMessages(channel);
        }
    }

    @Test
    void theFirstHopAuthorizesTheMethodAndTheTargetInVpcBSeesTheSignedCaller() throws Exception {
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(overTls, ADMIN, options(), "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        assertThat(gatewayA.accessLog().takePath("/test.Admin/Reset").responseCode()).isEqualTo(403);
        assertThat(arrivals.poll(300)).isNull();

        // Signed, to the custom domain (the ACM certificate): allowed, and B's target gets the caller A verified.
        assertThat(ClientCalls.blockingUnaryCall(signed, ADMIN, options(), "x")).isEqualTo("reset");
        GrpcEcho.Arrival arrival = arrivals.take();
        assertThat(arrival.method()).isEqualTo("test.Admin/Reset");
        assertThat(arrival.header("x-amzn-lattice-identity")).isEqualTo("Principal=arn:aws:sts::" + ACCOUNT
                + ":assumed-role/grpc-operator/ops; PrincipalOrgID=; SessionName=ops; Type=AWS_IAM");
        assertThat(arrival.header("x-forwarded-proto")).isEqualTo("https");
        AccessLogRecord record = gatewayA.accessLog().takePath("/test.Admin/Reset");
        assertThat(record.serverNameIndication()).isEqualTo(DATASTORE_CUSTOM);
        assertThat(record.destinationVpcId()).isEqualTo(VPC_B);
        GrpcEcho.pingPong(signed);
    }

    @Test
    void aClientThatCancelsAStreamingCallCancelsItAtTheTargetInVpcB() throws Exception {
        for (Map.Entry<ManagedChannel, String> entry : entries().entrySet()) {
            GrpcEcho.cancelMidStream(entry.getKey(), entry.getValue());
        }
    }

    @Test
    void aDeadlineThatExpiresMidStreamEndsTheCallAtBothEnds() throws Exception {
        for (Map.Entry<ManagedChannel, String> entry : entries().entrySet()) {
            GrpcEcho.expireMidStream(entry.getKey(), entry.getValue());
        }
    }

    @Test
    void messagesOfSeveralMegabytesPassBothWays() {
        String big = "x".repeat(3 * 1024 * 1024);
        for (Map.Entry<ManagedChannel, String> entry : entries().entrySet()) {
            long started = System.nanoTime();
            assertThat(ClientCalls.blockingUnaryCall(entry.getKey(), UNARY, options(), big)).isEqualTo("b:" + big);
            System.out.printf("fabric gRPC: 3 MiB each way via %s in %d ms%n", entry.getValue(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
    }

    @Test
    void aTargetThatIsDownInVpcBIsUnavailableToTheClient() throws Exception {
        // B answers 502 itself (nothing reached a target); grpc-java reads HTTP 502 as UNAVAILABLE.
        for (ManagedChannel channel : entries().keySet()) {
            assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, DOWN, options(), "x"))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            AccessLogRecord record = gatewayA.accessLog().takePath("/test.Down/Call");
            assertThat(record.responseCode()).isEqualTo(502);
            assertThat(record.destinationVpcId()).isEqualTo(VPC_B);
        }
    }

    @Test
    void manyConcurrentStreamsInterleaveOverTheFabricWithoutMixingUp() throws Exception {
        int calls = 40;
        for (ManagedChannel channel : entries().keySet()) {
            List<CompletableFuture<String>> answers = new ArrayList<>();
            List<StreamObserver<String>> senders = new ArrayList<>();
            for (int c = 0; c < calls; c++) {
                CompletableFuture<String> answer = new CompletableFuture<>();
                answers.add(answer);
                senders.add(ClientCalls.asyncClientStreamingCall(channel.newCall(CLIENT_STREAM, options()),
                        GrpcEcho.last(answer)));
            }
            // Every call is open before any ends; their messages interleave on the connections.
            for (int m = 0; m < 5; m++) {
                for (int c = 0; c < calls; c++) {
                    senders.get(c).onNext(c + "." + m);
                }
            }
            senders.forEach(StreamObserver::onCompleted);
            for (int c = 0; c < calls; c++) {
                assertThat(answers.get(c).get(20, TimeUnit.SECONDS))
                        .isEqualTo(c + ".0+" + c + ".1+" + c + ".2+" + c + ".3+" + c + ".4+");
            }
        }
    }

    @Test
    void compressedMessagesAndTheServersHeadersAndBinaryTrailersCrossTheFabric() {
        for (ManagedChannel channel : entries().keySet()) {
            GrpcEcho.compressedCallWithServerMetadata(channel, "b:");
        }
    }

    @Test
    void anHttp1ClientGetsTrailersFromBehindThePeerAsChunkedTrailersAndATrailersOnlyErrorAsHeaders()
            throws Exception {
        String ok = http1GrpcCall("raw");
        assertThat(ok).startsWith("HTTP/1.1 200 OK").containsIgnoringCase("transfer-encoding: chunked")
                .contains("b:raw");
        // The last chunk, then the trailer section with grpc-status and the binary trailer, as B's target sent them.
        String trailers = ok.substring(ok.lastIndexOf("\r\n0\r\n"));
        assertThat(trailers).containsIgnoringCase("grpc-status: 0").containsIgnoringCase("x-checksum-bin: ");

        String missing = http1GrpcCall("missing");
        String head = missing.substring(0, missing.indexOf("\r\n\r\n")).toLowerCase();
        assertThat(head).startsWith("http/1.1 200 ok").contains("content-length: 0").contains("grpc-status: 5")
                .contains("grpc-message: no such item").contains("x-detail: nothing called missing")
                .doesNotContain("x-trellis-fabric-");
    }

    /** test.Echo/Unary as an HTTP/1.1 client would send it, on port 80 of gateway A; the whole raw response. */
    static String http1GrpcCall(String text) throws Exception {
        byte[] message = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0);
        frame.write(ByteBuffer.allocate(4).putInt(message.length).array());
        frame.write(message);
        try (Socket socket = new Socket("127.0.0.1", gatewayA.port(80))) {
            socket.setSoTimeout(10_000);
            String head = "POST /test.Echo/Unary HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n"
                    + "Content-Type: application/grpc\r\nTE: trailers\r\nContent-Length: " + frame.size()
                    + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(frame.toByteArray());
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aClientThatCancelsBeforeAnyResponseCancelsTheCallAtTheTargetInVpcB() throws Exception {
        for (Map.Entry<ManagedChannel, String> entry : entries().entrySet()) {
            GrpcEcho.cancelBeforeAnyResponse(entry.getKey(), entry.getValue());
        }
    }

    @Test
    void aStreamThatKeepsTalkingOutlivesTheIdleTimeoutAndASilentOneIsEndedByIt() throws Exception {
        // ticker's idle timeout is 1 s: Watch ticks every 20 ms for 2.5 s and is still flowing.
        WATCH_ENDINGS.clear();
        LinkedBlockingQueue<String> ticks = new LinkedBlockingQueue<>();
        CompletableFuture<Void> end = new CompletableFuture<>();
        ClientCall<String, String> watch = tickerTls.newCall(GrpcEcho.WATCH, options());
        ClientCalls.asyncServerStreamingCall(watch, "long", GrpcEcho.collect(ticks, end));
        Thread.sleep(2500);
        assertThat(end).isNotDone();
        int received = ticks.size();
        assertThat(received).isGreaterThan(20); // 125 at 20 ms; fewer on a loaded machine
        Thread.sleep(500);
        assertThat(ticks.size()).isGreaterThan(received); // still flowing
        watch.cancel("enough", null);
        assertThat(WATCH_ENDINGS.poll(5, TimeUnit.SECONDS)).isEqualTo("cancelled:long");

        // Hold answers nothing: after 1 s of silence the first hop answers 504, which gRPC reads as UNAVAILABLE,
        // and the target's call is cancelled.
        long started = System.nanoTime();
        CompletableFuture<String> held = new CompletableFuture<>();
        StreamObserver<String> requests = ClientCalls.asyncBidiStreamingCall(
                tickerTls.newCall(GrpcEcho.HOLD, options()), GrpcEcho.last(held));
        requests.onNext("silent");
        assertThat(WATCH_ENDINGS.poll(5, TimeUnit.SECONDS)).isEqualTo("held:silent");
        assertThat(held).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isBetween(900L, 4000L);
        assertThat(WATCH_ENDINGS.poll(5, TimeUnit.SECONDS)).isEqualTo("cancelled:silent");
        assertThat(gatewayA.accessLog().takePath("/test.Echo/Hold").failureReason()).isEqualTo("TargetTimeout");
    }
}
