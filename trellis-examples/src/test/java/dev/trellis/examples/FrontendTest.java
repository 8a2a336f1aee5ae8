package dev.trellis.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class FrontendTest {

    @Test
    void forwardsPopularAndSummaryAndSaysWhichVersionServed() throws Exception {
        try (Datastore v2 = DatastoreTest.start("v2", DatabaseSettings.embedded(TestDatabases.freshPrefix()));
                Frontend frontend = Frontend.start(new Frontend.Settings("127.0.0.1", 0,
                        "127.0.0.1:" + v2.port()))) {
            Http.Answer summary = Http.get(frontend.port(), "/summary");
            assertThat(summary.status()).isEqualTo(200);
            assertThat(summary.json().path("servedBy").asText()).isEqualTo("v2");
            assertThat(summary.json().path("datastore").path("version").asText()).isEqualTo("v2");
            assertThat(summary.json().path("datastore").path("host").asText()).isEqualTo("datastore-host-v2");
            assertThat(summary.json().path("datastore").path("summary").path("books").asInt())
                    .isEqualTo(BookCatalog.SEED.size());
            assertThat(summary.response().headers().firstValue("x-datastore-version")).contains("v2");

            Http.Answer popular = Http.get(frontend.port(), "/popular");
            assertThat(popular.status()).isEqualTo(200);
            assertThat(popular.json().path("servedBy").asText()).isEqualTo("v2");
            assertThat(popular.json().path("datastore").path("popular").path("items")).hasSize(5);

            assertThat(Http.get(frontend.port(), "/live").json().path("status").asText()).isEqualTo("live");
        }
    }

    @Test
    void isReadyOnlyWhileTheDatastoreAnswers() throws Exception {
        DatabaseSettings database = DatabaseSettings.embedded(TestDatabases.freshPrefix());
        Datastore datastore = DatastoreTest.start("v1", database);
        int port = datastore.port();
        try (Frontend frontend = Frontend.start(new Frontend.Settings("127.0.0.1", 0,
                "http://127.0.0.1:" + port + "/"))) {
            Http.Answer ready = Http.get(frontend.port(), "/ready");
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.json().path("status").asText()).isEqualTo("ready");

            datastore.close();
            Http.Answer notReady = Http.get(frontend.port(), "/ready");
            assertThat(notReady.status()).isEqualTo(503);
            assertThat(notReady.json().path("reason").asText())
                    .startsWith("cannot reach http://127.0.0.1:" + port + "/popular: ConnectException");
            Http.Answer summary = Http.get(frontend.port(), "/summary");
            assertThat(summary.status()).isEqualTo(502);
            assertThat(summary.json().path("error").asText())
                    .startsWith("cannot reach the datastore at http://127.0.0.1:" + port + "/summary: ");
            assertThat(Http.get(frontend.port(), "/live").status()).isEqualTo(200);

            datastore = Datastore.start(new Datastore.Settings("127.0.0.1", port, "v1", null, database));
            assertThat(Http.get(frontend.port(), "/ready").status()).isEqualTo(200);
        } finally {
            datastore.close();
        }
    }

    /**
     * The frontend calls what DATASTORE_SERVICE_URL names with that URL's authority as Host (the custom domain
     * through the gateway, the sidecar's address through the SigV4 proxy), and passes a refusal on with its status
     * and body, so a 403 from the gateway shows as a 403. The "gateway" here is a stand-in that refuses everything.
     */
    @Test
    void sendsTheUrlsAuthorityAsHostAndPassesARefusalOn() throws Exception {
        AtomicReference<String> host = new AtomicReference<>();
        HttpServer refusing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        refusing.createContext("/", exchange -> {
            host.set(exchange.getRequestHeaders().getFirst("Host"));
            byte[] body = "AccessDeniedException: User: anonymous is not authorized to perform:"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(403, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        refusing.start();
        try (Frontend frontend = Frontend.start(new Frontend.Settings("127.0.0.1", 0,
                "localhost:" + refusing.getAddress().getPort()))) {
            Http.Answer answer = Http.get(frontend.port(), "/summary?detail=1");
            assertThat(host.get()).isEqualTo("localhost:" + refusing.getAddress().getPort());
            assertThat(answer.status()).isEqualTo(403);
            assertThat(answer.json().path("error").asText()).isEqualTo("the datastore answered 403");
            assertThat(answer.json().path("datastoreUrl").asText())
                    .isEqualTo("http://localhost:" + refusing.getAddress().getPort() + "/summary?detail=1");
            assertThat(answer.json().path("datastoreBody").asText()).startsWith("AccessDeniedException: User:");
            assertThat(Http.get(frontend.port(), "/ready").status()).isEqualTo(503);
        } finally {
            refusing.stop(0);
        }
    }

    @Test
    void readsTheDatastoreUrlAsTheManifestsWriteIt() {
        assertThat(Frontend.datastoreUrl("datastore.sarathy.io")).hasToString("http://datastore.sarathy.io");
        assertThat(Frontend.datastoreUrl("localhost:8005")).hasToString("http://localhost:8005");
        assertThat(Frontend.datastoreUrl("https://datastore.sarathy.io/")).hasToString("https://datastore.sarathy.io");
        assertThatThrownBy(() -> Frontend.datastoreUrl("ftp://x")).hasMessage(
                "the datastore URL must be http://host[:port] or https://host[:port], not 'ftp://x'");
        assertThatThrownBy(() -> Frontend.datastoreUrl(" ")).hasMessageStartingWith("the datastore URL is not set");
        assertThatThrownBy(() -> new Frontend.Settings("127.0.0.1", 0, Frontend.datastoreUrl("x"), "ready", null,
                Duration.ofSeconds(1))).hasMessage("the readiness path must start with '/', not 'ready'");
    }
}
