package dev.trellis.gateway.proxy;

import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.datastore;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.pathPrefix;
import static dev.trellis.gateway.support.Fixtures.rule;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static dev.trellis.gateway.support.Fixtures.targetGroupArn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.gateway.support.ProtocolBackend;
import dev.trellis.gateway.support.ProtocolBackend.Mode;
import dev.trellis.gateway.support.ProtocolBackend.Received;
import dev.trellis.gateway.support.SelfSignedTls;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.model.snapshot.TargetGroupEntry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Target groups over HTTPS and HTTP/2: an HTTP/1.1 client's requests reach an HTTPS/HTTP1 target (its expired,
 * self-signed certificate not validated, no SNI), an h2c target and an h2-over-TLS target (translated to HTTP/2),
 * and concurrent requests to an HTTP/2 target share one connection per gateway event loop.
 */
class UpstreamProtocolsTest {

    static final SelfSignedTls TLS = SelfSignedTls.create();
    static ProtocolBackend https1;
    static ProtocolBackend h2c;
    static ProtocolBackend h2tls;
    static TestGateway gateway;
    static final HttpClient HTTP1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    static TargetGroupEntry group(String id, String protocol, String version, int port) {
        return new TargetGroupEntry(id, targetGroupArn(id), "IP", protocol, version, port, VPC_A, null,
                List.of(new TargetGroupEntry.Target("127.0.0.1", port, false)));
    }

    @BeforeAll
    static void start() throws Exception {
        https1 = new ProtocolBackend(Mode.HTTP1_TLS, TLS);
        h2c = new ProtocolBackend(Mode.H2C, TLS);
        h2tls = new ProtocolBackend(Mode.H2_TLS, TLS);
        gateway = TestGateway.start(snapshot(1, List.of(datastore(http(80,
                        rule(10, pathPrefix("/tls"), forward("tg-https1", 1)),
                        rule(20, pathPrefix("/h2c"), forward("tg-h2c", 1)),
                        rule(30, pathPrefix("/h2tls"), forward("tg-h2tls", 1)),
                        defaultRule(forward("tg-h2c", 1))))),
                List.of(group("tg-https1", "HTTPS", "HTTP1", https1.port()),
                        group("tg-h2c", "HTTP", "HTTP2", h2c.port()),
                        group("tg-h2tls", "HTTPS", "HTTP2", h2tls.port())),
                List.of()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        https1.close();
        h2c.close();
        h2tls.close();
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP1.send(gateway.request(DATASTORE_DOMAIN, 80, path)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void forwardsToAnHttpsTargetWithoutValidatingItsExpiredSelfSignedCertificateAndWithoutSni() throws Exception {
        HttpResponse<String> response = post("/tls/upload", "hello over tls");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("HTTP/1.1 POST /tls/upload hello over tls");
        Received received = https1.take();
        assertThat(received.tlsProtocol()).isIn("TLSv1.2", "TLSv1.3");
        assertThat(received.alpn()).isEqualTo("http/1.1");
        assertThat(received.sni()).isEmpty();
        assertThat(received.header("host")).isEqualTo(DATASTORE_DOMAIN);
        assertThat(received.header("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(received.header("x-amzn-source-vpc")).isEqualTo(VPC_A);
    }

    @Test
    void translatesAnHttp1RequestForAnH2cTarget() throws Exception {
        HttpResponse<String> response = post("/h2c/items?x=1", "plain body");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(response.body()).isEqualTo("HTTP/2 POST /h2c/items?x=1 plain body");
        Received received = h2c.take();
        assertThat(received.tlsProtocol()).isNull();
        // :authority and :scheme as Netty's server-side conversion reports them.
        assertThat(received.header("host")).isEqualTo(DATASTORE_DOMAIN);
        assertThat(received.header("x-http2-scheme")).isEqualTo("http");
        assertThat(received.header("x-amzn-lattice-target")).contains("tg-h2c");
        assertThat(received.header("connection")).isNull();
        assertThat(received.header("transfer-encoding")).isNull();
        assertThat(response.headers().firstValue("x-http2-stream-id")).isEmpty();
    }

    @Test
    void translatesAnHttp1RequestForAnH2TargetOverTlsNegotiatedByAlpn() throws Exception {
        HttpResponse<String> response = post("/h2tls/items", "secret body");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("HTTP/2 POST /h2tls/items secret body");
        Received received = h2tls.take();
        assertThat(received.alpn()).isEqualTo("h2");
        assertThat(received.sni()).isEmpty();
        assertThat(received.header("x-http2-scheme")).isEqualTo("https");
        assertThat(response.headers().firstValue("content-length")).hasValue(
                String.valueOf("HTTP/2 POST /h2tls/items secret body".length()));
    }

    @Test
    void multiplexesConcurrentRequestsOnOneHttp2ConnectionPerEventLoop() throws Exception {
        int before = h2c.connections();
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // Each on its own client connection, so the gateway's two event loops both get some.
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            responses.add(client.sendAsync(gateway.request(DATASTORE_DOMAIN, 80, "/h2c/n" + i).GET().build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < responses.size(); i++) {
            HttpResponse<String> response = responses.get(i).get();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("HTTP/2 GET /h2c/n" + i + " ");
        }
        for (int i = 0; i < 40; i++) {
            h2c.take();
        }
        // The test gateway runs two I/O threads: at most one connection each (the earlier tests may have opened
        // them already).
        assertThat(h2c.connections()).isLessThanOrEqualTo(Math.max(before, 0) + 2).isLessThanOrEqualTo(2);
    }
}
