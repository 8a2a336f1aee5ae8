package dev.trellis.gateway.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A target for tests: a JDK HTTP server on 127.0.0.1 that records every request it receives (method, target,
 * headers, body) and answers with its own name, or as a {@link Responder} says.
 */
public final class TestBackend implements AutoCloseable {

    /** A request as the target received it; header names are lower-cased. */
    public record Received(String method, String uri, Map<String, List<String>> headers, byte[] body,
                           InetSocketAddress remote) {

        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        public List<String> headerValues(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Answers one exchange; the request body has already been read into {@code received}, unless streaming. */
    @FunctionalInterface
    public interface Responder {
        void respond(HttpExchange exchange, Received received) throws IOException;
    }

    private final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private volatile Responder responder;
    private volatile boolean readBodies = true;

    private TestBackend(String name) throws IOException {
        this.name = name;
        this.responder = (exchange, request) -> respond(exchange, 200, name);
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public static TestBackend start(String name) throws IOException {
        return new TestBackend(name);
    }

    public String name() {
        return name;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Answers from now on as {@code responder} says. */
    public TestBackend responder(Responder responder) {
        this.responder = responder;
        return this;
    }

    /** When false, the responder reads the request body itself (streaming tests); {@code body} is then empty. */
    public TestBackend readBodies(boolean read) {
        this.readBodies = read;
        return this;
    }

    /** The next request received, waiting up to 5 seconds. */
    public Received take() throws InterruptedException {
        Received next = received.poll(5, TimeUnit.SECONDS);
        if (next == null) {
            throw new AssertionError(name + " received no request within 5 seconds");
        }
        return next;
    }

    /** Requests received and not yet taken. */
    public List<Received> drain() {
        List<Received> all = new ArrayList<>();
        received.drainTo(all);
        return all;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            byte[] body = readBodies ? exchange.getRequestBody().readAllBytes() : new byte[0];
            Received request = new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    headers, body, exchange.getRemoteAddress());
            received.add(request);
            responder.respond(exchange, request);
        } finally {
            exchange.close();
        }
    }

    /** A plain-text response. */
    public static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Reads a whole stream, returning its length and a checksum. */
    public static long[] drainCounting(InputStream in) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        long sum = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            for (int i = 0; i < n; i++) {
                sum = sum * 31 + buffer[i];
            }
            total += n;
        }
        return new long[] {total, sum};
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "TestBackend[" + name + " :" + port() + "]";
    }
}
