package dev.trellis.controller.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Stands in for one Deployment of the conformance suite's echo server ({@code echo-basic}): an HTTP/1.1 server on
 * 127.0.0.1 that answers every request with what it received, as JSON with the upstream field names — {@code path}
 * (the raw request URI, query included), {@code host}, {@code method}, {@code headers} (name → values),
 * {@code namespace} and {@code pod}. The pod name is {@code <deployment>-0}, so the harness's "pod name starts with
 * the backend's name" check works as upstream.
 */
final class EchoBackend implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    final String namespace;
    final String deployment;
    final String pod;
    private final HttpServer server;
    private final ExecutorService executor;

    EchoBackend(String namespace, String deployment) throws IOException {
        this.namespace = namespace;
        this.deployment = deployment;
        this.pod = deployment + "-0";
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        // the weight case sends ten requests at a time
        executor = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "echo-" + deployment);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            Map<String, Object> echo = new LinkedHashMap<>();
            echo.put("path", exchange.getRequestURI().toString());
            echo.put("host", exchange.getRequestHeaders().getFirst("Host"));
            echo.put("method", exchange.getRequestMethod());
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, new ArrayList<>(values)));
            echo.put("headers", headers);
            echo.put("namespace", namespace);
            echo.put("pod", pod);
            exchange.getRequestBody().readAllBytes();
            byte[] body = JSON.writeValueAsBytes(echo);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
