package dev.trellis.sigv4proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.trellis.auth.Principal;
import dev.trellis.auth.sigv4.CredentialResolver;
import dev.trellis.auth.sigv4.SigV4Outcome;
import dev.trellis.auth.sigv4.SigV4Verifier;
import dev.trellis.auth.sigv4.SignedRequest;
import dev.trellis.auth.sigv4.SigningCredential;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * The upstream of the proxy tests: a real HTTP server on loopback that verifies every request's SigV4 signature
 * with Trellis's verifier (as the Lattice data plane would, x-amz-content-sha256 signed) and remembers what it got.
 * Handlers are registered per path; each gets the verification outcome.
 */
final class VerifyingBackend implements AutoCloseable {

    static final String ACCESS_KEY = "ASIAPROXYTESTKEY0001";
    static final String SECRET = "proxy/test/secret/0123456789abcdefghijklmn";
    static final String SESSION_TOKEN = "session-token-of-the-proxy-tests";

    /** What one request looked like at the backend. */
    record Seen(String method, String uri, Map<String, List<String>> headers, SigV4Outcome outcome) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    interface Handler {
        void handle(HttpExchange exchange, SigV4Outcome outcome) throws IOException;
    }

    private final HttpServer server;
    private final SigV4Verifier verifier;
    final Map<String, Seen> seen = new ConcurrentHashMap<>();

    VerifyingBackend(String signingName, String region) throws IOException {
        Principal principal = Principal.user("aws", "111122223333", "/", "proxy-tester", "AIDAPROXYTESTER00001",
                Map.of());
        verifier = SigV4Verifier.builder()
                .signingName(signingName)
                .region(region)
                .requireSignedContentSha256(true)
                .credentials(CredentialResolver.of(SigningCredential.builder(ACCESS_KEY, principal)
                        .secretAccessKey(SECRET).sessionToken(SESSION_TOKEN).build()))
                .build();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /**
     * Adds a handler for a path. With {@code hashBody} the whole body is read and passed to the verifier (a signed
     * payload); otherwise the body is left for the handler to stream.
     */
    VerifyingBackend on(String path, boolean hashBody, Handler handler) {
        server.createContext(path, exchange -> {
            try {
                SignedRequest.Builder request = SignedRequest.builder(exchange.getRequestMethod(),
                        exchange.getRequestURI().getRawPath(), exchange.getRequestURI().getRawQuery());
                exchange.getRequestHeaders().forEach((name, values) -> values.forEach(v -> request.header(name, v)));
                if (hashBody) {
                    request.body(exchange.getRequestBody().readAllBytes());
                } else {
                    request.bodyNotRead();
                }
                SigV4Outcome outcome = verifier.verify(request.build());
                seen.put(path, new Seen(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                        Map.copyOf(exchange.getRequestHeaders()), outcome));
                handler.handle(exchange, outcome);
            } finally {
                exchange.close();
            }
        });
        return this;
    }

    /** 200 "authenticated as <arn>" when the signature verified, else 403 with the reason. */
    static Handler verdict() {
        return (exchange, outcome) -> {
            String body = outcome instanceof SigV4Outcome.Authenticated a ? "authenticated as " + a.principal().arn()
                    : outcome instanceof SigV4Outcome.Rejected r ? "rejected: " + r.failure().message()
                    : "unsigned";
            send(exchange, outcome instanceof SigV4Outcome.Authenticated ? 200 : 403, body);
        };
    }

    static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Reads a stream to its end: "<bytes> <sha256 hex>". */
    static String sizeAndHash(InputStream in) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[65536];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                sha.update(buffer, 0, n);
                total += n;
            }
            return total + " " + HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
