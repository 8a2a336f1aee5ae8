package dev.trellis.gateway.proxy;

import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_ID;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.pathPrefix;
import static dev.trellis.gateway.support.Fixtures.rule;
import static dev.trellis.gateway.support.Fixtures.service;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static dev.trellis.gateway.support.Fixtures.targetGroupArn;
import static dev.trellis.gateway.support.GrpcEcho.ADMIN;
import static dev.trellis.gateway.support.GrpcEcho.CLIENT_STREAM;
import static dev.trellis.gateway.support.GrpcEcho.SECURE_UNARY;
import static dev.trellis.gateway.support.GrpcEcho.SERVER_STREAM;
import static dev.trellis.gateway.support.GrpcEcho.UNARY;
import static dev.trellis.gateway.support.GrpcEcho.UNROUTED;
import static dev.trellis.gateway.support.GrpcEcho.admin;
import static dev.trellis.gateway.support.GrpcEcho.echo;
import static dev.trellis.gateway.support.GrpcEcho.secure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.gateway.accesslog.AccessLogRecord;
import dev.trellis.gateway.support.GrpcEcho;
import dev.trellis.gateway.support.SelfSignedTls;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.RuleAction;
import dev.trellis.model.snapshot.TargetGroupEntry;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
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
 * A real grpc-java client, through the gateway (HTTP listener, h2c prior knowledge), to real grpc-java servers in
 * GRPC target groups over h2c and over h2-with-TLS: unary and all three streaming kinds, error statuses with their
 * trailers (after messages and "trailers-only"), rules on {@code /<package.Service>/<Method>}, and an auth policy
 * that sees method POST and the gRPC resource path.
 */
class GrpcThroughGatewayTest {

    static Server plain;
    static Server tls;
    static Path pemDir;
    static TestGateway gateway;
    static ManagedChannel channel;

    static TargetGroupEntry grpcGroup(String id, String protocol, int port) {
        return new TargetGroupEntry(id, targetGroupArn(id), "IP", protocol, "GRPC", port, VPC_A, null,
                List.of(new TargetGroupEntry.Target("127.0.0.1", port, false)));
    }

    @BeforeAll
    static void start() throws Exception {
        plain = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(echo("plain")).addService(admin())
                .build().start();
        pemDir = Files.createTempDirectory("grpc-tls");
        Path[] pem = SelfSignedTls.create().writePem(pemDir);
        tls = Grpc.newServerBuilderForPort(0, TlsServerCredentials.create(pem[0].toFile(), pem[1].toFile()))
                .addService(secure()).build().start();
        // Anyone may call, but only with POST (every gRPC call is one) and not test.Admin.
        String policy = """
                {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
                 "Action":"vpc-lattice-svcs:Invoke",
                 "Resource":["arn:aws:vpc-lattice:us-west-2:615847537300:service/%1$s/test.Echo/*",
                             "arn:aws:vpc-lattice:us-west-2:615847537300:service/%1$s/test.Secure/*",
                             "arn:aws:vpc-lattice:us-west-2:615847537300:service/%1$s/test.Nowhere/*"],
                 "Condition":{"StringEquals":{"vpc-lattice-svcs:RequestMethod":"POST"}}}]}
                """.formatted(DATASTORE_ID);
        gateway = TestGateway.start(snapshot(1, List.of(service(DATASTORE_ID, "datastore", DATASTORE_DOMAIN, null,
                        AuthLevel.NONE, new AuthLevel("AWS_IAM", policy), 60, http(80,
                                rule(10, pathPrefix("/test.Echo/"), forward("tg-grpc", 1)),
                                rule(20, pathPrefix("/test.Secure/"), forward("tg-grpc-tls", 1)),
                                rule(30, pathPrefix("/test.Admin/"), forward("tg-grpc", 1)),
                                defaultRule(RuleAction.fixedResponse(404))))),
                List.of(grpcGroup("tg-grpc", "HTTP", plain.getPort()),
                        grpcGroup("tg-grpc-tls", "HTTPS", tls.getPort())),
                List.of()));
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gateway.port(80), InsecureChannelCredentials.create())
                .overrideAuthority(DATASTORE_DOMAIN)
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        gateway.close();
        plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @BeforeEach
    void clear() {
        gateway.accessLog().clear();
    }

    static CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @Test
    void unaryCallReachesTheGrpcServerOverH2c() {
        assertThat(ClientCalls.blockingUnaryCall(channel, UNARY, options(), "hello")).isEqualTo("plain:hello");
    }

    @Test
    void unaryCallReachesAGrpcServerOverTlsWithAnUnvalidatedCertificate() {
        assertThat(ClientCalls.blockingUnaryCall(channel, SECURE_UNARY, options(), "hi")).isEqualTo("tls:hi");
    }

    @Test
    void serverStreamingDeliversEveryMessageThenTheOkTrailers() {
        Iterator<String> items = ClientCalls.blockingServerStreamingCall(channel, SERVER_STREAM, options(), "5");
        List<String> received = new ArrayList<>();
        items.forEachRemaining(received::add);
        assertThat(received).containsExactly("item-1", "item-2", "item-3", "item-4", "item-5");
    }

    @Test
    void clientStreamingSendsEveryMessageBeforeTheAnswer() throws Exception {
        CompletableFuture<String> answer = new CompletableFuture<>();
        StreamObserver<String> requests = ClientCalls.asyncClientStreamingCall(
                channel.newCall(CLIENT_STREAM, options()), observer(answer, new ArrayList<>()));
        for (String part : List.of("a", "b", "c")) {
            requests.onNext(part);
        }
        requests.onCompleted();
        assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo("a+b+c+");
    }

    @Test
    void bidiStreamingAnswersEachMessageWhileTheRequestIsStillOpen() throws Exception {
        GrpcEcho.pingPong(channel);
    }

    @Test
    void aTrailersOnlyErrorReachesTheClientWithItsStatusAndTrailers() throws Exception {
        GrpcEcho.assertTrailersOnlyError(channel);
        AccessLogRecord record = gateway.accessLog().takePath("/test.Echo/Unary");
        assertThat(record.responseCode()).isEqualTo(200);
    }

    @Test
    void anErrorAfterMessagesArrivesAsTrailersAfterTheMessages() {
        GrpcEcho.assertErrorAfterMessages(channel);
    }

    @Test
    void aMethodNoRuleMatchesGetsTheDefaultFixedResponse() {
        // Rules match /<package.Service>/<Method>; the default rule answers 404, which gRPC reads as UNIMPLEMENTED.
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, UNROUTED, options(), "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
    }

    @Test
    void theAuthPolicySeesPostAndTheGrpcResourcePath() throws Exception {
        // test.Admin is routed to the same server, but the policy does not name it.
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, ADMIN, options(), "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        AccessLogRecord denied = gateway.accessLog().takePath("/test.Admin/Reset");
        assertThat(denied.responseCode()).isEqualTo(403);
        assertThat(denied.requestPath()).isEqualTo("/test.Admin/Reset");
        // The allowed calls above and here pass the RequestMethod=POST condition.
        assertThat(ClientCalls.blockingUnaryCall(channel, UNARY, options(), "ok")).isEqualTo("plain:ok");
    }

    @Test
    void anHttp1ClientOfAGrpcGroupGetsTheTrailersAsChunkedTrailers() throws Exception {
        byte[] message = "raw".getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
        frame.write(0);
        frame.write(new byte[] {0, 0, 0, (byte) message.length});
        frame.write(message);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gateway.port(80))) {
            socket.setSoTimeout(10_000);
            String head = "POST /test.Echo/Unary HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\n"
                    + "Content-Type: application/grpc\r\nTE: trailers\r\nContent-Length: " + frame.size()
                    + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(frame.toByteArray());
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(response).startsWith("HTTP/1.1 200 OK").containsIgnoringCase("transfer-encoding: chunked")
                    .contains("plain:raw");
            // The last chunk, then the trailer section with grpc-status.
            String trailers = response.substring(response.lastIndexOf("\r\n0\r\n"));
            assertThat(trailers).containsIgnoringCase("grpc-status: 0");
        }
    }

    static StreamObserver<String> observer(CompletableFuture<String> last, List<String> all) {
        return new StreamObserver<>() {
            @Override
            public void onNext(String value) {
                all.add(value);
                last.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                last.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        };
    }
}
