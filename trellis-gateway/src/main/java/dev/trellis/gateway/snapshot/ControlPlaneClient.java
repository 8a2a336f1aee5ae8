package dev.trellis.gateway.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.model.gateway.TargetHealthReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * A gateway's calls to the control plane's gateway API (SigV4, signing name {@value #SIGNING_NAME}): the snapshot
 * long-poll, registration, and target health reports. Thread-safe. {@link #close} aborts every call in progress at
 * once, a snapshot body being read included: their callers get an {@link InterruptedIOException}. A snapshot's
 * body must arrive whole within {@link #BODY_TIMEOUT} of its head. The secret key is used for signing only; it is never
 * logged and not in {@link #toString}.
 */
public final class ControlPlaneClient implements AutoCloseable {

    public static final String SIGNING_NAME = "trellis";

    /**
     * How long a snapshot's body may take once its head is in. A request's timeout ends with the response head; a
     * control plane (or a proxy in between) that stalled in the middle of a body would otherwise hold the gateway's
     * snapshot thread for good, and no later revision would reach it. 60 s is 140 KB/s for the 8.5 MB snapshot of
     * 2,000 services and 50,000 targets.
     */
    public static final Duration BODY_TIMEOUT = Duration.ofSeconds(60);

    /** Closes snapshot bodies that are late (one daemon thread for the process, idle but for those deadlines). */
    private static final ScheduledThreadPoolExecutor BODY_DEADLINES = bodyDeadlines();

    private final URI endpoint;
    private final String region;
    private final AwsCredentialsIdentity credentials;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final ObjectMapper json = new ObjectMapper();
    private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
    /** Snapshot bodies being read: {@link #close} closes them. */
    private final Set<InputStream> openBodies = ConcurrentHashMap.newKeySet();
    private final Duration bodyTimeout;
    private volatile boolean closed;

    public ControlPlaneClient(URI endpoint, String region, String accessKeyId, String secretAccessKey) {
        this(endpoint, region, accessKeyId, secretAccessKey, BODY_TIMEOUT);
    }

    /** As the public constructor, with another body timeout (tests: a stalled body in a second, not a minute). */
    ControlPlaneClient(URI endpoint, String region, String accessKeyId, String secretAccessKey,
                       Duration bodyTimeout) {
        this.bodyTimeout = Objects.requireNonNull(bodyTimeout, "bodyTimeout");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.region = Objects.requireNonNull(region, "region");
        this.credentials = AwsCredentialsIdentity.create(Objects.requireNonNull(accessKeyId, "accessKeyId"),
                Objects.requireNonNull(secretAccessKey, "secretAccessKey"));
    }

    /** An answer of the control plane: status, error type header, revision header, body. */
    record Answer(int status, byte[] body, String errorType, String revision) {
    }

    /** Reads a snapshot's body as it arrives. */
    @FunctionalInterface
    public interface BodyReader<T> {
        T read(InputStream body) throws IOException;
    }

    /**
     * {@code GET /trellis/v1/snapshots/{vpcId}}: with {@code after} ≥ 0 a long-poll of up to {@code waitSeconds};
     * with {@code after} < 0 the snapshot as of now.
     *
     * @return the snapshot's JSON, or null when nothing changed (304)
     */
    public byte[] snapshot(String vpcId, long after, int waitSeconds) throws IOException {
        return snapshot(vpcId, after, waitSeconds, null, InputStream::readAllBytes);
    }

    /**
     * As {@link #snapshot(String, long, int)} for the gateway process {@code watcher}, handing the body to
     * {@code reader} as it arrives instead of collecting it first (a snapshot is megabytes, and the gateway gets one
     * for every revision). A long-poll also tells the control plane this gateway serves revision {@code after},
     * which calls like STS AssumeRole wait for.
     *
     * @return what {@code reader} made of the snapshot, or null when nothing changed (304)
     */
    public <T> T snapshot(String vpcId, long after, int waitSeconds, String watcher, BodyReader<T> reader)
            throws IOException {
        String query = "wait=" + waitSeconds + (after < 0 ? "" : "&after=" + after)
                + (watcher == null ? "" : "&watcher=" + watcher);
        HttpResponse<InputStream> response = send("GET", "/trellis/v1/snapshots/" + vpcId, query, null,
                Duration.ofSeconds(waitSeconds + 15L), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            return switch (response.statusCode()) {
                case 200 -> readWithinDeadline(body, reader);
                case 304 -> null;
                default -> throw refused(answer(response, body.readAllBytes()));
            };
        }
    }

    /**
     * What {@code reader} makes of a snapshot body that arrives whole within {@link #bodyTimeout}. Closing the body
     * ends a read blocked on it with an {@link IOException}: the deadline does that when the time is up, and
     * {@link #close} when the client closes.
     */
    private <T> T readWithinDeadline(InputStream body, BodyReader<T> reader) throws IOException {
        AtomicBoolean late = new AtomicBoolean();
        ScheduledFuture<?> deadline = BODY_DEADLINES.schedule(() -> {
            late.set(true);
            closeQuietly(body);
        }, bodyTimeout.toNanos(), TimeUnit.NANOSECONDS);
        openBodies.add(body);
        try {
            if (closed) {
                closeQuietly(body); // closed between the head and here: close() did not see this body
            }
            return reader.read(body);
        } catch (IOException e) {
            if (closed) {
                throw new InterruptedIOException("the snapshot's body was cut: the control-plane client is closed");
            }
            if (late.get()) {
                throw new IOException("the snapshot's body did not arrive within " + bodyTimeout.toMillis()
                        + " ms of its head", e);
            }
            throw e;
        } finally {
            deadline.cancel(false);
            openBodies.remove(body);
        }
    }

    private static void closeQuietly(InputStream body) {
        try {
            body.close();
        } catch (IOException e) {
            // closing is all that is wanted; the reader sees the failure
        }
    }

    private static ScheduledThreadPoolExecutor bodyDeadlines() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "control-plane-body-deadlines");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /**
     * Registers this gateway ({@code POST /trellis/v1/gateways}): the control plane certifies {@code keys}' public
     * key for the VPC and lists the gateway as the VPC's fabric peer. The private key never leaves the gateway.
     */
    public GatewayCertificate register(String vpcId, String gatewayId, String fabricHost, int fabricPort,
                                       KeyPair keys) throws IOException {
        ObjectNode body = json.createObjectNode()
                .put("vpcId", vpcId)
                .put("gatewayId", gatewayId)
                .put("fabricHost", fabricHost)
                .put("fabricPort", fabricPort)
                .put("publicKey", "-----BEGIN PUBLIC KEY-----\n"
                        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                                .encodeToString(keys.getPublic().getEncoded())
                        + "\n-----END PUBLIC KEY-----\n");
        Answer answer = call("POST", "/trellis/v1/gateways", null, json.writeValueAsBytes(body),
                Duration.ofSeconds(30));
        if (answer.status() != 200) {
            throw refused(answer);
        }
        JsonNode out = json.readTree(answer.body());
        return new GatewayCertificate(out.path("gatewayId").asText(), out.path("vpcId").asText(),
                out.path("certificate").asText(), out.path("caCertificate").asText(),
                Instant.parse(out.path("notAfter").asText()));
    }

    /** Removes this gateway's registration ({@code DELETE /trellis/v1/gateways/{vpcId}/{gatewayId}}). */
    public void deregister(String vpcId, String gatewayId) throws IOException {
        Answer answer = call("DELETE", "/trellis/v1/gateways/" + vpcId + "/" + gatewayId, null, null,
                Duration.ofSeconds(30));
        if (answer.status() != 200) {
            throw refused(answer);
        }
    }

    /**
     * Reports what the gateway saw of its VPC's targets ({@code PUT /trellis/v1/gateways/{vpcId}/target-health}),
     * so that {@code ListTargets} shows it. Send changes, not every check: each call that changes something is a
     * store write.
     */
    public void reportTargetHealth(String vpcId, List<TargetHealthReport> reports) throws IOException {
        ObjectNode body = json.createObjectNode();
        body.set("reports", json.valueToTree(reports));
        Answer answer = call("PUT", "/trellis/v1/gateways/" + vpcId + "/target-health", null,
                json.writeValueAsBytes(body), Duration.ofSeconds(30));
        if (answer.status() != 200) {
            throw refused(answer);
        }
    }

    private Answer call(String method, String path, String query, byte[] body, Duration timeout) throws IOException {
        HttpResponse<byte[]> response = send(method, path, query, body, timeout,
                HttpResponse.BodyHandlers.ofByteArray());
        return answer(response, response.body());
    }

    private static Answer answer(HttpResponse<?> response, byte[] body) {
        return new Answer(response.statusCode(), body,
                response.headers().firstValue("x-amzn-ErrorType").orElse(null),
                response.headers().firstValue("x-trellis-revision").orElse(null));
    }

    /** Signs and sends a call; {@link #close} aborts it until its response (with a streamed body, its head) is in. */
    private <T> HttpResponse<T> send(String method, String path, String query, byte[] body, Duration timeout,
                                     HttpResponse.BodyHandler<T> handler) throws IOException {
        if (closed) {
            throw new InterruptedIOException("the control-plane client is closed");
        }
        URI uri = endpoint.resolve(path + (query == null ? "" : "?" + query));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        sign(method, uri, body).forEach((name, values) -> {
            if (!name.equalsIgnoreCase("host")) {
                values.forEach(v -> request.header(name, v));
            }
        });
        CompletableFuture<HttpResponse<T>> future = http.sendAsync(request.build(), handler);
        inFlight.add(future);
        try {
            if (closed) {
                future.cancel(true);
            }
            return future.get();
        } catch (CancellationException e) {
            throw new InterruptedIOException("the call to the control plane was cancelled: the client is closed");
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while calling the control plane");
        } catch (ExecutionException e) {
            if (closed) {
                throw new InterruptedIOException("the call to the control plane was cancelled: the client is closed");
            }
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException(String.valueOf(cause.getMessage()), cause);
        } finally {
            inFlight.remove(future);
        }
    }

    private Map<String, List<String>> sign(String method, URI uri, byte[] body) {
        SdkHttpFullRequest.Builder unsigned = SdkHttpFullRequest.builder()
                .method(SdkHttpMethod.fromValue(method))
                .uri(uri);
        if (body != null) {
            unsigned.putHeader("Content-Type", "application/json");
        }
        SignedRequest signed = signer.sign(r -> {
            r.identity(credentials)
                    .request(unsigned.build())
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, SIGNING_NAME)
                    .putProperty(AwsV4HttpSigner.REGION_NAME, region);
            if (body != null) {
                r.payload(ContentStreamProvider.fromByteArray(body));
            }
        });
        return signed.request().headers();
    }

    private ControlPlaneException refused(Answer answer) {
        String message = new String(answer.body(), StandardCharsets.UTF_8);
        try {
            JsonNode error = json.readTree(answer.body());
            if (error != null && error.hasNonNull("message")) {
                message = error.get("message").asText();
            }
        } catch (IOException e) {
            // not JSON: the raw body is the message
        }
        return new ControlPlaneException(answer.status(), answer.errorType(), message);
    }

    /** Aborts every call in progress and refuses new ones. */
    @Override
    public void close() {
        closed = true;
        inFlight.forEach(f -> f.cancel(true));
        openBodies.forEach(ControlPlaneClient::closeQuietly);
    }

    @Override
    public String toString() {
        return "ControlPlaneClient[" + endpoint + ", " + region + ", " + credentials.accessKeyId() + "]";
    }
}
