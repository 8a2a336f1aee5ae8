package dev.trellis.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The small HTTP server both demo apps run on: the JDK's {@link HttpServer} on a fixed pool of worker threads
 * (Java 17 has no virtual threads), {@code GET} routes by exact path, JSON answers and one access-log line per
 * request. {@link #close()} stops accepting, lets requests in flight finish (up to a few seconds) and then stops
 * the workers, which is what a SIGTERM should do.
 */
final class AppServer implements AutoCloseable {

    /** What a route answers: a status and a JSON body. */
    record Response(int status, Object body, Map<String, String> headers) {
        static Response ok(Object body) {
            return new Response(200, body, Map.of());
        }

        static Response of(int status, Object body) {
            return new Response(status, body, Map.of());
        }
    }

    /** A {@code GET} route. It may block (database, upstream calls): it runs on a worker thread. */
    @FunctionalInterface
    interface Route {
        Response answer(HttpExchange exchange) throws Exception;
    }

    static final ObjectMapper JSON = new ObjectMapper();
    private static final int WORKERS = 8;
    private static final int DRAIN_SECONDS = 5;

    private final String name;
    private final Logger accessLog;
    private final HttpServer server;
    private final ExecutorService workers;
    private final AtomicInteger inFlight = new AtomicInteger();

    private AppServer(String name, HttpServer server, ExecutorService workers) {
        this.name = name;
        this.accessLog = LoggerFactory.getLogger("dev.trellis.examples." + name + "-access");
        this.server = server;
        this.workers = workers;
    }

    /** Binds {@code host:port} (port 0 picks a free one) and serves {@code routes}; any other path is a 404. */
    static AppServer start(String name, String host, int port, Map<String, Route> routes) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
        AtomicInteger threads = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS, r -> {
            Thread t = new Thread(r, name + "-worker-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        AppServer app = new AppServer(name, server, workers);
        server.createContext("/", exchange -> app.handle(exchange, routes));
        server.setExecutor(workers);
        server.start();
        return app;
    }

    int port() {
        return server.getAddress().getPort();
    }

    String host() {
        return server.getAddress().getHostString();
    }

    private void handle(HttpExchange exchange, Map<String, Route> routes) {
        long started = System.nanoTime();
        int status = 500;
        inFlight.incrementAndGet();
        try (exchange) {
            Response response;
            Route route = routes.get(exchange.getRequestURI().getPath());
            if (route == null) {
                response = Response.of(404, Map.of("error", "no route for " + exchange.getRequestURI().getPath(),
                        "routes", routes.keySet().stream().sorted().toList()));
            } else if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                response = new Response(405, Map.of("error", exchange.getRequestMethod() + " is not allowed; use GET"),
                        Map.of("Allow", "GET, HEAD"));
            } else {
                try {
                    response = route.answer(exchange);
                } catch (Exception e) {
                    LoggerFactory.getLogger(AppServer.class).warn("{} {} failed: {}", name,
                            exchange.getRequestURI().getPath(), e.toString());
                    response = Response.of(500, Map.of("error", e.getClass().getSimpleName() + ": " + e.getMessage()));
                }
            }
            status = response.status();
            send(exchange, response);
        } catch (IOException | UncheckedIOException e) {
            // the client went away; the access log line below still records the request
        } finally {
            accessLog.info("{} {} {} {} {}ms", exchange.getRemoteAddress().getAddress().getHostAddress(),
                    exchange.getRequestMethod(), exchange.getRequestURI(), status,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            inFlight.decrementAndGet();
        }
    }

    private static void send(HttpExchange exchange, Response response) throws IOException {
        byte[] body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(response.body());
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        response.headers().forEach(exchange.getResponseHeaders()::set);
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(response.status(), head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Stops accepting, waits up to a few seconds for requests in flight, then stops the workers. */
    @Override
    public void close() {
        // Java 17's HttpServer.stop(n) waits the whole n seconds even when nothing is in flight (JDK-8304065),
        // so wait for the requests in flight here and then stop at once.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_SECONDS);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        server.stop(0);
        workers.shutdown();
        try {
            if (!workers.awaitTermination(DRAIN_SECONDS, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
