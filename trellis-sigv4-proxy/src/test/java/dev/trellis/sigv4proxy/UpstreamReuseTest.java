package dev.trellis.sigv4proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Upstream connections outlive their request: a client's keep-alive requests share one upstream connection, and a
 * reused connection that the upstream closes as a request goes out is replaced without the client noticing, unless
 * body bytes had gone out on it.
 */
class UpstreamReuseTest {

    private Upstream upstream;
    private Sigv4ProxyServer proxy;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void aClientsKeepAliveRequestsShareOneUpstreamConnectionEachSignedAfresh() throws Exception {
        upstream = new Upstream(request -> false);
        startProxy();

        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + proxy.port() + "/summary?n=" + i)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("answer " + (i + 1));
        }

        assertThat(upstream.connections.get()).isEqualTo(1);
        assertThat(upstream.heads).hasSize(5).allSatisfy(head -> assertThat(head)
                .contains("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
                .doesNotContainIgnoringCase("connection: close"));
    }

    @Test
    void aReusedConnectionClosedUnderABodilessRequestIsReplacedOnce() throws Exception {
        // The second request to arrive on a connection finds it closed: the race with an upstream's idle timeout.
        upstream = new Upstream(requestOnConnection -> requestOnConnection == 2);
        startProxy();

        HttpResponse<String> first = get("/popular");
        HttpResponse<String> second = get("/summary");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(upstream.connections.get()).isEqualTo(2);
        assertThat(upstream.heads).hasSize(3);
        assertThat(upstream.heads.get(1)).startsWith("GET /summary ");
        assertThat(upstream.heads.get(2)).startsWith("GET /summary ");
    }

    @Test
    void aRequestWhoseBodyWentOutIsNotSentTwice() throws Exception {
        upstream = new Upstream(requestOnConnection -> requestOnConnection == 2);
        startProxy();

        assertThat(get("/popular").statusCode()).isEqualTo(200);
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + proxy.port() + "/orders"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"book\":1}")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(post.statusCode()).isEqualTo(502);
        assertThat(post.body()).isEqualTo("sigv4-proxy: the upstream closed the connection before it answered\n");
        assertThat(upstream.connections.get()).isEqualTo(1);
    }

    @Test
    void anUpstreamConnectionUnusedForTheIdleTimeoutIsClosedAndZeroNeverKeepsOne() throws Exception {
        upstream = new Upstream(request -> false);
        startProxy(Duration.ofMillis(300));
        assertThat(get("/a").statusCode()).isEqualTo(200);
        assertThat(get("/b").statusCode()).isEqualTo(200);
        assertThat(upstream.connections.get()).isEqualTo(1);
        Thread.sleep(1_000);
        assertThat(get("/c").statusCode()).isEqualTo(200);
        assertThat(upstream.connections.get()).isEqualTo(2);

        proxy.close();
        startProxy(Duration.ZERO);
        assertThat(get("/d").statusCode()).isEqualTo(200);
        assertThat(get("/e").statusCode()).isEqualTo(200);
        assertThat(upstream.connections.get()).isEqualTo(4);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void startProxy() throws InterruptedException {
        startProxy(Sigv4ProxyConfig.DEFAULT_IDLE_CONN_TIMEOUT);
    }

    private void startProxy(Duration idleConnTimeout) throws InterruptedException {
        proxy = Sigv4ProxyServer.start(Sigv4ProxyConfig.builder()
                .idleConnTimeout(idleConnTimeout)
                .bindAddress("127.0.0.1").port(0)
                .host("127.0.0.1:" + upstream.port()).scheme("http")
                .signingName("vpc-lattice-svcs").region("us-west-2")
                .credentials(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE",
                        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")))
                .build(), null);
    }

    /**
     * A keep-alive HTTP/1.1 upstream on a raw socket that counts connections and records request heads. Requests
     * carry no body or a Content-Length one. {@code hangUp} is asked with the request's number on its connection
     * (1, 2, ...): true closes the connection instead of answering.
     */
    private static final class Upstream implements AutoCloseable {

        final AtomicInteger connections = new AtomicInteger();
        final List<String> heads = new CopyOnWriteArrayList<>();
        private final AtomicInteger answers = new AtomicInteger();
        private final ServerSocket server;

        Upstream(IntPredicate hangUp) throws IOException {
            server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        connections.incrementAndGet();
                        Thread serve = new Thread(() -> serve(socket, hangUp), "upstream-connection");
                        serve.setDaemon(true);
                        serve.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "upstream-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void serve(Socket socket, IntPredicate hangUp) {
            try (socket) {
                InputStream in = socket.getInputStream();
                for (int n = 1; ; n++) {
                    String head = readHead(in);
                    if (head == null) {
                        return;
                    }
                    heads.add(head);
                    int length = contentLength(head);
                    in.readNBytes(length);
                    if (hangUp.test(n)) {
                        return;
                    }
                    byte[] body = ("answer " + answers.incrementAndGet()).getBytes(StandardCharsets.US_ASCII);
                    socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().write(body);
                    socket.getOutputStream().flush();
                }
            } catch (SocketException e) {
                // the proxy closed the connection
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private static String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                String text = head.toString(StandardCharsets.US_ASCII);
                if (text.endsWith("\r\n\r\n")) {
                    return text;
                }
            }
            return null;
        }

        private static int contentLength(String head) {
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                    return Integer.parseInt(line.substring(15).trim());
                }
            }
            return 0;
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
