package dev.trellis.gateway;

import static dev.trellis.gateway.support.Fixtures.DATASTORE_ARN;
import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.NETWORK_ARN;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.datastore;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static dev.trellis.gateway.support.Fixtures.targetGroupArn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.gateway.support.H2Client;
import dev.trellis.gateway.support.RawHttp;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the target sees of a request (facts §2): Lattice's headers added, the client's copies of them gone. */
class GatewayHeadersTest {

    static TestBackend target;
    static TestGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        target = TestBackend.start("datastore");
        gateway = TestGateway.start(snapshot(1, List.of(datastore(http(80, defaultRule(forward("tg-v1", 1))))),
                List.of(group("tg-v1", VPC_A, target)), List.of()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        target.close();
    }

    @BeforeEach
    void clear() {
        target.drain();
    }

    @Test
    void stripsClientSuppliedLatticeHeadersAndAddsTheGatewaysOwn() throws Exception {
        HttpResponse<String> response = gateway.send(gateway.request(DATASTORE_DOMAIN, 80, "/summary?x=1")
                .header("x-amzn-lattice-identity", "Principal=arn:aws:iam::111111111111:root; Type=AWS_IAM")
                .header("X-Amzn-Lattice-Network", "SourceVpcArn=arn:aws:ec2:us-west-2:111111111111:vpc/vpc-evil")
                .header("x-amzn-lattice-target", "ServiceArn=spoofed")
                .header("x-amzn-lattice-identity-tags", "principal=spoofed")
                .header("x-amzn-source-vpc", "vpc-evil")
                .header("x-amzn-requestid", "chosen-by-the-client")
                .header("X-Forwarded-For", "203.0.113.7")
                .header("X-Forwarded-Port", "1")
                .header("X-Forwarded-Proto", "https")
                .header("X-Custom", "kept")
                .GET().build());

        assertThat(response.statusCode()).isEqualTo(200);
        TestBackend.Received seen = target.take();
        assertThat(seen.uri()).isEqualTo("/summary?x=1");
        assertThat(seen.header("host")).isEqualTo(DATASTORE_DOMAIN);
        assertThat(seen.headerValues("x-amzn-lattice-identity")).isEmpty();
        assertThat(seen.headerValues("x-amzn-lattice-identity-tags")).isEmpty();
        assertThat(seen.headerValues("x-amzn-lattice-network")).containsExactly(
                "SourceVpcArn=arn:aws:ec2:us-west-2:615847537300:vpc/vpc-027baaaf7156c6075");
        assertThat(seen.headerValues("x-amzn-lattice-target")).containsExactly("ServiceArn=" + DATASTORE_ARN
                + "; ServiceNetworkArn=" + NETWORK_ARN + "; TargetGroupArn=" + targetGroupArn("tg-v1"));
        assertThat(seen.headerValues("x-amzn-source-vpc")).containsExactly(VPC_A);
        assertThat(seen.headerValues("x-forwarded-for")).containsExactly("203.0.113.7, 127.0.0.1");
        assertThat(seen.headerValues("x-forwarded-port")).containsExactly("80");
        assertThat(seen.headerValues("x-forwarded-proto")).containsExactly("http");
        assertThat(seen.headerValues("x-custom")).containsExactly("kept");
        String requestId = seen.header("x-amzn-requestid");
        assertThat(requestId).isNotEqualTo("chosen-by-the-client").hasSize(36);
        assertThat(response.headers().firstValue("x-amzn-requestid")).hasValue(requestId);
    }

    @Test
    void passesTheHostHeaderThroughUnchangedPortIncluded() throws Exception {
        gateway.send(gateway.request(DATASTORE_DOMAIN + ":80", 80, "/").GET().build());

        assertThat(target.take().header("host")).isEqualTo(DATASTORE_DOMAIN + ":80");
    }

    @Test
    void addsOnlyTheClientAddressWhenNoForwardedForWasSent() throws Exception {
        gateway.get(DATASTORE_DOMAIN, 80, "/");

        assertThat(target.take().headerValues("x-forwarded-for")).containsExactly("127.0.0.1");
    }

    @Test
    void removesHopByHopHeadersIncludingThoseTheConnectionHeaderNames() throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port(80))) {
            raw.send("GET / HTTP/1.1\r\nHost: " + DATASTORE_DOMAIN + "\r\nConnection: keep-alive, X-Session-Hop\r\n"
                    + "X-Session-Hop: secret\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic eDp5\r\n"
                    + "TE: trailers\r\n\r\n");
            assertThat(raw.readResponse()).startsWith("HTTP/1.1 200 OK");
        }

        TestBackend.Received seen = target.take();
        assertThat(seen.headers()).doesNotContainKeys("x-session-hop", "keep-alive", "proxy-authorization", "te");
    }

    @Test
    void sendsHttp2RequestsToTheTargetAsHttp11WithTheAuthorityAsHost() throws Exception {
        try (H2Client h2 = new H2Client(gateway.port(80))) {
            H2Client.Response response = h2.send(io.netty.handler.codec.http.HttpMethod.POST, DATASTORE_DOMAIN,
                    "/orders", Map.of("x-amzn-lattice-identity", "spoofed"), "{\"id\":1}");

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("datastore");
            assertThat(response.headers()).containsKey("x-amzn-requestid");
        }

        TestBackend.Received seen = target.take();
        assertThat(seen.method()).isEqualTo("POST");
        assertThat(seen.header("host")).isEqualTo(DATASTORE_DOMAIN);
        assertThat(seen.bodyText()).isEqualTo("{\"id\":1}");
        assertThat(seen.headers().keySet()).noneMatch(name -> name.startsWith("x-http2-"));
        assertThat(seen.headerValues("x-amzn-lattice-identity")).isEmpty();
        assertThat(seen.headerValues("x-forwarded-proto")).containsExactly("http");
    }
}
