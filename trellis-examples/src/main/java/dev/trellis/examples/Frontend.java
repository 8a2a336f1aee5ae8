package dev.trellis.examples;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The walkthrough's frontend: {@code GET /popular} and {@code GET /summary} call the datastore at
 * {@code DATASTORE_SERVICE_URL} + the same path and answer with what it answered plus which version served it;
 * {@code GET /live}; {@code GET /ready} is 200 only while the datastore answers.
 *
 * <p>The datastore URL may omit the scheme, as the walkthrough's manifests do ({@code datastore.sarathy.io},
 * {@code localhost:8005}): then it is {@code http://}. The request's {@code Host} is that URL's authority — the
 * service's custom domain when calling through the gateway, {@code localhost:8005} when calling the SigV4 proxy
 * sidecar, which replaces it with its {@code --host} before signing. Redirects are not followed.
 */
public final class Frontend implements AutoCloseable {

    /**
     * How to run a frontend.
     *
     * @param datastoreUrl base URL of the datastore (scheme optional, http by default)
     * @param readinessPath what {@code /ready} asks the datastore for: {@code /popular} by default, because the
     *     walkthrough's route sends only {@code /popular} and {@code /summary} to the datastore (through the gateway
     *     {@code /live} is a 404 from the listener's default action), and {@code /popular} does not disturb the
     *     {@code /summary} canary counts
     * @param caCertificate PEM certificate(s) to trust for an https datastore URL, or null for the JDK's trust store
     */
    public record Settings(String host, int port, URI datastoreUrl, String readinessPath, Path caCertificate,
            Duration timeout) {
        public Settings {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("the port must be 0-65535, not " + port);
            }
            if (!readinessPath.startsWith("/")) {
                throw new IllegalArgumentException("the readiness path must start with '/', not '" + readinessPath
                        + "'");
            }
        }

        public Settings(String host, int port, String datastoreUrl) {
            this(host, port, Frontend.datastoreUrl(datastoreUrl), "/popular", null, Duration.ofSeconds(5));
        }
    }

    private static final Logger log = LoggerFactory.getLogger(Frontend.class);
    private static final int BODY_EXCERPT = 2000;

    private final Settings settings;
    private final HttpClient client;
    private final AppServer server;

    private Frontend(Settings settings, HttpClient client) throws IOException {
        this.settings = settings;
        this.client = client;
        this.server = AppServer.start("frontend", settings.host(), settings.port(), Map.of(
                "/popular", exchange -> forward("/popular", exchange.getRequestURI().getRawQuery()),
                "/summary", exchange -> forward("/summary", exchange.getRequestURI().getRawQuery()),
                "/live", exchange -> AppServer.Response.ok(Map.of("status", "live")),
                "/ready", exchange -> ready()));
    }

    public static Frontend start(Settings settings) throws IOException {
        HttpClient.Builder client = HttpClient.newBuilder()
                // HTTP/1.1: the JDK would otherwise offer an h2c upgrade on plain http, which proxies need not take
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.timeout());
        if (settings.caCertificate() != null) {
            client.sslContext(trusting(settings.caCertificate()));
        }
        Frontend frontend = new Frontend(settings, client.build());
        log.info("frontend on {}:{} calling the datastore at {}", settings.host(), frontend.port(),
                settings.datastoreUrl());
        return frontend;
    }

    /** {@code DATASTORE_SERVICE_URL} as the manifests write it: {@code http://} unless a scheme is given. */
    public static URI datastoreUrl(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the datastore URL is not set (DATASTORE_SERVICE_URL or"
                    + " --datastore-url), e.g. http://localhost:8005 or datastore.sarathy.io");
        }
        String url = value.strip();
        if (!url.contains("://")) {
            url = "http://" + url;
        }
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the datastore URL '" + value + "' is not a URL: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("the datastore URL must be http://host[:port] or https://host[:port],"
                    + " not '" + value + "'");
        }
        return uri;
    }

    public int port() {
        return server.port();
    }

    private AppServer.Response forward(String path, String query) throws InterruptedException {
        URI target = URI.create(settings.datastoreUrl() + path + (query == null ? "" : "?" + query));
        HttpResponse<String> answer;
        try {
            answer = client.send(HttpRequest.newBuilder(target).GET().timeout(settings.timeout())
                    .header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpConnectTimeoutException | ConnectException e) {
            return unreachable(502, target, e);
        } catch (HttpTimeoutException e) {
            return unreachable(504, target, e);
        } catch (IOException e) {
            return unreachable(502, target, e);
        }
        JsonNode body = parse(answer.body());
        if (answer.statusCode() >= 400 || body == null) {
            // Pass the datastore's (or the gateway's) status on, so a refusal shows as what it is.
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("error", body == null && answer.statusCode() < 400
                    ? "the datastore answered " + answer.statusCode() + " with a body that is not JSON"
                    : "the datastore answered " + answer.statusCode());
            error.put("datastoreUrl", target.toString());
            error.put("datastoreStatus", answer.statusCode());
            error.put("datastoreBody", body != null ? body : excerpt(answer.body()));
            return AppServer.Response.of(answer.statusCode() >= 400 ? answer.statusCode() : 502, error);
        }
        String version = body.path("version").asText(answer.headers().firstValue("x-datastore-version")
                .orElse("unknown"));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("service", "frontend");
        result.put("servedBy", version);
        result.put("datastore", body);
        return new AppServer.Response(200, result, Map.of("x-datastore-version", version));
    }

    private AppServer.Response ready() throws InterruptedException {
        URI target = URI.create(settings.datastoreUrl() + settings.readinessPath());
        try {
            HttpResponse<Void> answer = client.send(HttpRequest.newBuilder(target).GET()
                    .timeout(settings.timeout()).build(), HttpResponse.BodyHandlers.discarding());
            if (answer.statusCode() / 100 == 2) {
                return AppServer.Response.ok(Map.of("status", "ready",
                        "datastore", target + " answered " + answer.statusCode()));
            }
            return AppServer.Response.of(503, Map.of("status", "not ready",
                    "reason", target + " answered " + answer.statusCode()));
        } catch (IOException e) {
            return AppServer.Response.of(503, Map.of("status", "not ready",
                    "reason", "cannot reach " + target + ": " + describe(e)));
        }
    }

    private static AppServer.Response unreachable(int status, URI target, IOException e) {
        return AppServer.Response.of(status, Map.of("error", "cannot reach the datastore at " + target + ": "
                + describe(e)));
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        if (message == null && e.getCause() != null) {
            message = e.getCause().toString();
        }
        return e.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
    }

    private static JsonNode parse(String body) {
        try {
            JsonNode node = AppServer.JSON.readTree(body);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String excerpt(String body) {
        return body.length() <= BODY_EXCERPT ? body : body.substring(0, BODY_EXCERPT) + "...";
    }

    private static SSLContext trusting(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + i++, certificate);
            }
            if (i == 0) {
                throw new IOException(pem + " holds no PEM certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust " + pem + ": " + e.getMessage(), e);
        }
    }

    /** Stops serving; requests in flight finish. */
    @Override
    public void close() {
        server.close();
        log.info("frontend stopped");
    }
}
