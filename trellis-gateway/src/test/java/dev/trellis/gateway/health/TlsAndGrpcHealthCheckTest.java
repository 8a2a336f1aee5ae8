package dev.trellis.gateway.health;

import static dev.trellis.gateway.health.GatewayHealthCheckTest.awaitStatus;
import static dev.trellis.gateway.health.GatewayHealthCheckTest.gateway;
import static dev.trellis.gateway.health.GatewayHealthCheckTest.snap;
import static dev.trellis.gateway.health.GatewayHealthCheckTest.target;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.targetGroupArn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.gateway.support.ProtocolBackend;
import dev.trellis.gateway.support.ProtocolBackend.Mode;
import dev.trellis.gateway.support.SelfSignedTls;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.gateway.target.TargetStatus;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.TargetGroupEntry.HealthCheck;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * HTTPS health checks (TLS without certificate validation, HTTP/1.1 or h2 by ALPN) and health checks of a GRPC
 * target group (over HTTP/2 as configured; GRPC is not a health-check protocol version, facts §5).
 */
class TlsAndGrpcHealthCheckTest {

    static final SelfSignedTls TLS = SelfSignedTls.create();

    static HealthCheck check(String protocol, String version, String path, String matcher) {
        return new HealthCheck(true, protocol, version, 0, path, 10, 50, 3, 2, matcher);
    }

    static TargetGroupEntry group(String id, String protocol, String version, HealthCheck hc, int port) {
        return new TargetGroupEntry(id, targetGroupArn(id), "IP", protocol, version, port, VPC_A, hc,
                List.of(new TargetGroupEntry.Target("127.0.0.1", port, false)));
    }

    @Test
    void httpsChecksOverHttp1AndH2MarkTargetsHealthyAndUnhealthyWithoutValidatingCertificates() throws Exception {
        RecordingSink sink = new RecordingSink();
        try (ProtocolBackend h1 = new ProtocolBackend(Mode.HTTP1_TLS, TLS);
             ProtocolBackend h2 = new ProtocolBackend(Mode.H2_TLS, TLS);
             ProtocolBackend h2bad = new ProtocolBackend(Mode.H2_TLS, TLS);
             TestGateway gateway = gateway(snap(1,
                     group("tg-h1", "HTTPS", "HTTP1", check("HTTPS", "HTTP1", "/health", "200"), h1.port()),
                     group("tg-h2", "HTTPS", "HTTP2", check("HTTPS", "HTTP2", "/health", "200"), h2.port()),
                     group("tg-h2bad", "HTTPS", "HTTP2", check("HTTPS", "HTTP2", "/health-bad", "200"),
                             h2bad.port())), sink)) {
            awaitStatus(gateway, "tg-h1", h1.port(), TargetStatus.HEALTHY);
            awaitStatus(gateway, "tg-h2", h2.port(), TargetStatus.HEALTHY);
            awaitStatus(gateway, "tg-h2bad", h2bad.port(), TargetStatus.UNHEALTHY);
            assertThat(target(gateway, "tg-h2bad", h2bad.port()).reasonCode())
                    .isEqualTo("HealthCheckResponseCodeMismatch");

            ProtocolBackend.Received overHttp1 = h1.take();
            assertThat(overHttp1.method()).isEqualTo("GET");
            assertThat(overHttp1.path()).isEqualTo("/health");
            assertThat(overHttp1.alpn()).isEqualTo("http/1.1");
            assertThat(overHttp1.sni()).isEmpty();
            ProtocolBackend.Received overH2 = h2.take();
            assertThat(overH2.protocol()).isEqualTo("HTTP/2");
            assertThat(overH2.alpn()).isEqualTo("h2");
            assertThat(overH2.header("x-http2-scheme")).isEqualTo("https");
        }
    }

    @Test
    void anHttpsCheckAgainstACleartextTargetFails() throws Exception {
        RecordingSink sink = new RecordingSink();
        try (ProtocolBackend h2c = new ProtocolBackend(Mode.H2C, TLS);
             TestGateway gateway = gateway(snap(1,
                     group("tg-x", "HTTPS", "HTTP2", check("HTTPS", "HTTP2", "/health", "200"), h2c.port())),
                     sink)) {
            awaitStatus(gateway, "tg-x", h2c.port(), TargetStatus.UNHEALTHY);
            assertThat(target(gateway, "tg-x", h2c.port()).reasonCode()).isEqualTo("HealthCheckFailed");
        }
    }

    @Test
    void aGrpcGroupIsCheckedOverHttp2AsConfiguredAndGoesUnhealthyWhenItsServerStops() throws Exception {
        RecordingSink sink = new RecordingSink();
        Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).build().start();
        int port = server.getPort();
        try (TestGateway gateway = gateway(snap(1,
                // A gRPC server answers a plain GET (no application/grpc content type) with HTTP 415.
                group("tg-grpc", "HTTP", "GRPC", check("HTTP", "HTTP2", "/", "415"), port)), sink)) {
            awaitStatus(gateway, "tg-grpc", port, TargetStatus.HEALTHY);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            awaitStatus(gateway, "tg-grpc", port, TargetStatus.UNHEALTHY);
            assertThat(target(gateway, "tg-grpc", port).reasonCode()).isEqualTo("HealthCheckFailed");
        } finally {
            server.shutdownNow();
        }
    }
}
