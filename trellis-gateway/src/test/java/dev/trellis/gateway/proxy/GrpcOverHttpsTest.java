package dev.trellis.gateway.proxy;

import static dev.trellis.gateway.support.Fixtures.ACCOUNT;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_CUSTOM;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_ID;
import static dev.trellis.gateway.support.Fixtures.NETWORK_ARN;
import static dev.trellis.gateway.support.Fixtures.NETWORK_ID;
import static dev.trellis.gateway.support.Fixtures.REGION;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
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
import static dev.trellis.gateway.support.GrpcEcho.UNROUTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.support.Fixtures;
import dev.trellis.gateway.support.GrpcEcho;
import dev.trellis.gateway.support.SelfSignedTls;
import dev.trellis.gateway.support.Signer;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.gateway.tls.TestCa;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.CertificateEntry;
import dev.trellis.model.snapshot.ListenerRule;
import dev.trellis.model.snapshot.RuleAction;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real grpc-java client over TLS (trusting a test CA; the authority, hence SNI and the certificate check, is the
 * service's generated name or its custom domain) → the gateway's HTTPS listener (ALPN h2) → real grpc-java servers
 * in GRPC target groups over h2c and over h2-with-TLS: unary and the three streaming kinds, error statuses with
 * their trailers, rules on {@code /<package.Service>/<Method>}, and an auth policy on method POST, the gRPC
 * resource path and {@code aws:SecureTransport}, with anonymous callers and a caller that signs each call with SigV4.
 */
class GrpcOverHttpsTest {

    static final String SUFFIX = "7d67968.vpc-lattice-svcs." + REGION + ".on.aws";
    static final String ACM_ARN = "arn:aws:acm:" + REGION + ":" + ACCOUNT
            + ":certificate/6c0e4a1e-5f1d-4c1e-9a70-0123456789ab";
    static final String SECRET = "grpc-secret-key-000000000000000000000000";
    static final Signer OPERATOR = new Signer("AKIDEXAMPLEGRPCOPS", SECRET);
    static final String ALLOW_ALL = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":\"vpc-lattice-svcs:Invoke\",\"Resource\":\"*\"}]}";
    /**
     * Anyone may call test.Echo, test.Secure and test.Nowhere, but only with POST (every gRPC call is one) over TLS;
     * test.Admin only the grpc-operator role (SigV4).
     */
    static final String POLICY = """
            {"Version":"2012-10-17","Statement":[
             {"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke",
              "Resource":["arn:aws:vpc-lattice:us-west-2:615847537300:service/%1$s/test.Echo/*",
                          "arn:aws:vpc-lattice:us-west-2:615847537300:service/%1$s/test.Secure/*",
                          "arn:aws:vpc-lattice:us-west-2:615847537300:service/%1$s/test.Nowhere/*"],
              "Condition":{"StringEquals":{"vpc-lattice-svcs:RequestMethod":"POST"},
                           "Bool":{"aws:SecureTransport":"true"}}},
             {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::615847537300:role/grpc-operator"},
              "Action":"vpc-lattice-svcs:Invoke",
              "Resource":"arn:aws:vpc-lattice:us-west-2:615847537300:service/%1$s/test.Admin/Reset",
              "Condition":{"StringEquals":{"vpc-lattice-svcs:RequestMethod":"POST"}}}]}
            """.formatted(DATASTORE_ID);

    static TestCa ca;
    static Path dir;
    static Path caPem;
    static Server plain;
    static Server tls;
    static GrpcEcho.HeaderRecorder arrivals = new GrpcEcho.HeaderRecorder();
    static TestGateway gateway;
    static ManagedChannel generated;
    static ManagedChannel custom;
    static ManagedChannel signed;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("grpc-https");
        ca = new TestCa("Trellis test CA");
        caPem = ca.writePem(dir);
        plain = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(arrivals.intercept(GrpcEcho.echo("plain")))
                .addService(arrivals.intercept(GrpcEcho.admin()))
                .build().start();
        Path[] pem = SelfSignedTls.create().writePem(Files.createDirectory(dir.resolve("target")));
        tls = Grpc.newServerBuilderForPort(0, TlsServerCredentials.create(pem[0].toFile(), pem[1].toFile()))
                .addService(GrpcEcho.secure()).build().start();
        gateway = TestGateway.start(snapshot(ca.issue(null, "*." + SUFFIX), ca.issue(ACM_ARN, "*.sarathy.io")),
                c -> c.mapPort(443, 0));
        generated = channel(DATASTORE_DOMAIN).build();
        custom = channel(DATASTORE_CUSTOM).build();
        signed = channel(DATASTORE_DOMAIN).intercept(GrpcEcho.sigV4(OPERATOR, SECRET)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        for (ManagedChannel channel : List.of(generated, custom, signed)) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        gateway.close();
        plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @BeforeEach
    void clear() {
        gateway.accessLog().clear();
        arrivals.clear();
    }

    static VpcSnapshot snapshot(CertificateEntry... certificates) {
        ServiceListener https = new ServiceListener("listener-0grpc443", "arn:listener/grpc443", "HTTPS", 443,
                List.<ListenerRule>of(
                        rule(10, pathPrefix("/test.Echo/"), forward("tg-grpc", 1)),
                        rule(20, pathPrefix("/test.Secure/"), forward("tg-grpc-tls", 1)),
                        rule(30, pathPrefix("/test.Admin/"), forward("tg-grpc", 1)),
                        defaultRule(RuleAction.fixedResponse(404))));
        ServiceEntry datastore = new ServiceEntry(DATASTORE_ID, serviceArn(DATASTORE_ID), "datastore",
                DATASTORE_DOMAIN, DATASTORE_CUSTOM, ACM_ARN, NETWORK_ID, NETWORK_ARN, AuthLevel.NONE,
                new AuthLevel("AWS_IAM", POLICY), 60, List.of(https), List.of());
        VpcSnapshot s = Fixtures.snapshot(1, List.of(datastore),
                List.of(grpcGroup("tg-grpc", "HTTP", plain.getPort()),
                        grpcGroup("tg-grpc-tls", "HTTPS", tls.getPort())),
                List.of(OPERATOR.assumedRole("grpc-operator", "ops", ALLOW_ALL)));
        return new VpcSnapshot(s.revision(), s.vpcId(), s.accountId(), s.region(), s.compiledAt(), s.services(),
                s.targetGroups(), s.peers(), s.credentials(), List.of(certificates), List.of());
    }

    static TargetGroupEntry grpcGroup(String id, String protocol, int port) {
        return new TargetGroupEntry(id, targetGroupArn(id), "IP", protocol, "GRPC", port, VPC_A, null,
                List.of(new TargetGroupEntry.Target("127.0.0.1", port, false)));
    }

    /** A TLS channel to the gateway's loopback port that trusts only the test CA and calls itself {@code name}. */
    static io.grpc.ManagedChannelBuilder<?> channel(String name) throws Exception {
        ChannelCredentials credentials = TlsChannelCredentials.newBuilder().trustManager(caPem.toFile()).build();
        return Grpc.newChannelBuilderForAddress("127.0.0.1", gateway.port(443), credentials).overrideAuthority(name);
    }

    static CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @Test
    void unaryCallOverTlsReachesTheH2cTargetWithTheHttpsForwardingHeaders() throws Exception {
        assertThat(ClientCalls.blockingUnaryCall(generated, UNARY, options(), "hello")).isEqualTo("plain:hello");

        GrpcEcho.Arrival arrival = arrivals.take();
        assertThat(arrival.method()).isEqualTo("test.Echo/Unary");
        assertThat(arrival.header("x-forwarded-proto")).isEqualTo("https");
        assertThat(arrival.header("x-forwarded-port")).isEqualTo("443");
        assertThat(arrival.header("x-amzn-source-vpc")).isEqualTo(VPC_A);
        assertThat(arrival.header("x-amzn-lattice-identity")).isNull();
        AccessLogRecord record = gateway.accessLog().takePath("/test.Echo/Unary");
        assertThat(record.listenerType()).isEqualTo("HTTPS");
        assertThat(record.protocol()).isEqualTo("HTTP/2.0");
        assertThat(record.requestMethod()).isEqualTo("POST");
        assertThat(record.serverNameIndication()).isEqualTo(DATASTORE_DOMAIN);
        assertThat(record.tlsVersion()).isIn("TLSv1.3", "TLSv1.2");
        assertThat(record.targetGroupArn()).isEqualTo(targetGroupArn("tg-grpc"));
        assertThat(record.responseCode()).isEqualTo(200);
    }

    @Test
    void theCustomDomainIsServedWithItsAcmCertificate() {
        // The channel verifies the certificate for datastore.sarathy.io: only the ACM *.sarathy.io one matches.
        assertThat(ClientCalls.blockingUnaryCall(custom, UNARY, options(), "custom")).isEqualTo("plain:custom");
    }

    @Test
    void aNameWithoutACertificateFailsTheHandshake() throws Exception {
        ManagedChannel unknown = channel("other." + SUFFIX).build();
        try {
            assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(unknown, UNARY, options(), "x"))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            assertThat(arrivals.poll(300)).isNull();
        } finally {
            unknown.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void unaryCallReachesATlsTargetWithAnUnvalidatedCertificate() {
        assertThat(ClientCalls.blockingUnaryCall(generated, SECURE_UNARY, options(), "hi")).isEqualTo("tls:hi");
    }

    @Test
    void serverStreamingDeliversEveryMessageThenTheOkTrailers() {
        Iterator<String> items = ClientCalls.blockingServerStreamingCall(generated, SERVER_STREAM, options(), "50");
        List<String> received = new ArrayList<>();
        items.forEachRemaining(received::add);
        assertThat(received).hasSize(50).startsWith("item-1", "item-2").endsWith("item-50");
    }

    @Test
    void clientStreamingSendsEveryMessageBeforeTheAnswer() throws Exception {
        CompletableFuture<String> answer = new CompletableFuture<>();
        StreamObserver<String> requests = ClientCalls.asyncClientStreamingCall(
                generated.newCall(CLIENT_STREAM, options()), GrpcEcho.last(answer));
        for (String part : List.of("a", "b", "c", "d")) {
            requests.onNext(part);
        }
        requests.onCompleted();
        assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo("a+b+c+d+");
    }

    @Test
    void bidiStreamingAnswersEachMessageWhileTheRequestIsStillOpen() throws Exception {
        GrpcEcho.pingPong(generated);
    }

    @Test
    void aTrailersOnlyErrorReachesTheClientWithItsStatusAndTrailers() throws Exception {
        GrpcEcho.assertTrailersOnlyError(generated);
        assertThat(gateway.accessLog().takePath("/test.Echo/Unary").responseCode()).isEqualTo(200);
    }

    @Test
    void anErrorAfterMessagesArrivesAsTrailersAfterTheMessages() {
        GrpcEcho.assertErrorAfterMessages(generated);
    }

    @Test
    void aMethodNoRuleMatchesGetsTheDefaultFixedResponse() throws Exception {
        // The default rule answers 404, which gRPC reads as UNIMPLEMENTED; no target saw the call.
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(generated, UNROUTED, options(), "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
        assertThat(gateway.accessLog().takePath("/test.Nowhere/Call").responseCode()).isEqualTo(404);
    }

    @Test
    void theAuthPolicySeesPostAndTheGrpcResourcePathForAnonymousAndSignedCallers() throws Exception {
        // test.Admin/Reset is routed to the same server, but only the signed operator may call it.
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(generated, ADMIN, options(), "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        AccessLogRecord denied = gateway.accessLog().takePath("/test.Admin/Reset");
        assertThat(denied.responseCode()).isEqualTo(403);
        assertThat(denied.requestMethod()).isEqualTo("POST");

        assertThat(ClientCalls.blockingUnaryCall(signed, ADMIN, options(), "x")).isEqualTo("reset");
        GrpcEcho.Arrival arrival = arrivals.take();
        assertThat(arrival.method()).isEqualTo("test.Admin/Reset");
        assertThat(arrival.header("x-amzn-lattice-identity")).startsWith("Principal=arn:aws:sts::" + ACCOUNT
                + ":assumed-role/grpc-operator/ops;");
        AccessLogRecord allowed = gateway.accessLog().takePath("/test.Admin/Reset");
        assertThat(allowed.responseCode()).isEqualTo(200);
        assertThat(allowed.callerPrincipal()).isEqualTo("arn:aws:sts::" + ACCOUNT + ":assumed-role/grpc-operator/ops");
        // Signed streaming calls verify too: the signature covers the head, never the (unsigned) payload.
        GrpcEcho.pingPong(signed);
    }

    @Test
    void aClientThatCancelsAStreamingCallCancelsItAtTheTarget() throws Exception {
        GrpcEcho.cancelMidStream(generated, "https");
    }

    @Test
    void aDeadlineThatExpiresMidStreamEndsTheCallAtBothEnds() throws Exception {
        GrpcEcho.expireMidStream(generated, "https-deadline");
    }

    @Test
    void messagesOfSeveralMegabytesPassBothWays() {
        String big = "x".repeat(3 * 1024 * 1024);
        long started = System.nanoTime();
        assertThat(ClientCalls.blockingUnaryCall(generated, UNARY, options(), big)).isEqualTo("plain:" + big);
        System.out.printf("gRPC over HTTPS: 3 MiB each way in %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    @Test
    void compressedMessagesAndTheServersHeadersAndBinaryTrailersPassThrough() {
        GrpcEcho.compressedCallWithServerMetadata(generated, "plain:");
    }

    @Test
    void aClientThatCancelsBeforeAnyResponseCancelsTheCallAtTheTarget() throws Exception {
        GrpcEcho.cancelBeforeAnyResponse(generated, "https-hold");
    }
}
