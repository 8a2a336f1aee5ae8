package dev.trellis.gateway.support;

import dev.trellis.gateway.GatewayConfig;
import dev.trellis.gateway.GatewayServer;
import dev.trellis.gateway.GatewaySnapshots;
import dev.trellis.gateway.GatewayTransport;
import dev.trellis.model.snapshot.VpcSnapshot;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@link GatewayServer} on 127.0.0.1 for tests: listener ports 80, 8080 and 9090 are mapped to free local
 * ports; access-log records are kept. Requests go out through {@link java.net.http.HttpClient} with the service's
 * Host header (the test JVM allows setting it). Under the system property {@code trellis.transport=epoll} (the build's
 * {@code epoll} test execution; {@link GatewayConfig} reads it) a test skips where epoll cannot load.
 */
public final class TestGateway implements AutoCloseable {

    private final GatewaySnapshots snapshots;
    private final GatewayServer server;
    private final RecordingAccessLog accessLog = new RecordingAccessLog();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private TestGateway(VpcSnapshot snapshot, Consumer<GatewayConfig.Builder> configure) {
        GatewayConfig.Builder config = GatewayConfig.builder()
                .bindAddress("127.0.0.1")
                .mapPort(80, 0)
                .mapPort(8080, 0)
                .mapPort(9090, 0)
                .ioThreads(2)
                .accessLog(accessLog);
        Assumptions.assumeTrue(!"epoll".equals(System.getProperty(GatewayTransport.PROPERTY))
                || Epoll.isAvailable(), "epoll is not available here");
        configure.accept(config);
        this.snapshots = new GatewaySnapshots(snapshot);
        this.server = new GatewayServer(config.build(), snapshots).start();
    }

    public static TestGateway start(VpcSnapshot snapshot) {
        return new TestGateway(snapshot, c -> { });
    }

    public static TestGateway start(VpcSnapshot snapshot, Consumer<GatewayConfig.Builder> configure) {
        return new TestGateway(snapshot, configure);
    }

    public GatewaySnapshots snapshots() {
        return snapshots;
    }

    public GatewayServer server() {
        return server;
    }

    public RecordingAccessLog accessLog() {
        return accessLog;
    }

    public HttpClient client() {
        return client;
    }

    /** The local port listener port {@code listenerPort} is bound on. */
    public int port(int listenerPort) {
        int port = server.localPort(listenerPort);
        if (port < 0) {
            throw new AssertionError("listener port " + listenerPort + " is not bound");
        }
        return port;
    }

    /** A request builder for {@code path} on {@code host}, sent to the gateway's port for {@code listenerPort}. */
    public HttpRequest.Builder request(String host, int listenerPort, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port(listenerPort) + path))
                .timeout(Duration.ofSeconds(20))
                .header("Host", host);
    }

    public HttpResponse<String> get(String host, int listenerPort, String path) throws IOException,
            InterruptedException {
        return send(request(host, listenerPort, path).GET().build());
    }

    public HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        server.close();
    }
}
