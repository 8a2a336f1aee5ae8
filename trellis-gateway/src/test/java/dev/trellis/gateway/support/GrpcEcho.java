package dev.trellis.gateway.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The gRPC services the gateway's gRPC tests call with a real grpc-java client: strings as messages (no protoc
 * step), {@code test.Echo} with the four call kinds and two kinds of error, {@code test.Secure} (served over TLS),
 * {@code test.Admin} (routed but refused by the tests' auth policies), and a server interceptor that records the
 * headers each call arrived with, so a test can assert what the gateway added.
 */
public final class GrpcEcho {

    /** Strings as gRPC messages. */
    public static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    };

    public static final MethodDescriptor<String, String> UNARY = method("test.Echo", "Unary",
            MethodDescriptor.MethodType.UNARY);
    public static final MethodDescriptor<String, String> SERVER_STREAM = method("test.Echo", "Count",
            MethodDescriptor.MethodType.SERVER_STREAMING);
    public static final MethodDescriptor<String, String> CLIENT_STREAM = method("test.Echo", "Join",
            MethodDescriptor.MethodType.CLIENT_STREAMING);
    public static final MethodDescriptor<String, String> BIDI = method("test.Echo", "Chat",
            MethodDescriptor.MethodType.BIDI_STREAMING);
    public static final MethodDescriptor<String, String> WATCH = method("test.Echo", "Watch",
            MethodDescriptor.MethodType.SERVER_STREAMING);
    public static final MethodDescriptor<String, String> HOLD = method("test.Echo", "Hold",
            MethodDescriptor.MethodType.BIDI_STREAMING);
    public static final MethodDescriptor<String, String> SECURE_UNARY = method("test.Secure", "Unary",
            MethodDescriptor.MethodType.UNARY);
    public static final MethodDescriptor<String, String> ADMIN = method("test.Admin", "Reset",
            MethodDescriptor.MethodType.UNARY);
    public static final MethodDescriptor<String, String> UNROUTED = method("test.Nowhere", "Call",
            MethodDescriptor.MethodType.UNARY);
    private static final Metadata.Key<String> GRPC_ENCODING = Metadata.Key.of("grpc-encoding",
            Metadata.ASCII_STRING_MARSHALLER);
    /** A response header {@link HeaderRecorder} adds to every call. */
    public static final Metadata.Key<String> SERVED_BY = Metadata.Key.of("x-served-by",
            Metadata.ASCII_STRING_MARSHALLER);
    /** A binary trailer (base64 on the wire) {@link HeaderRecorder} adds to every call: bytes that are not text. */
    public static final Metadata.Key<byte[]> CHECKSUM = Metadata.Key.of("x-checksum-bin",
            Metadata.BINARY_BYTE_MARSHALLER);
    public static final byte[] CHECKSUM_VALUE = {0, 1, (byte) 0xfe, (byte) 0xff, '\r', '\n', ':'};
    /** What {@code test.Echo/Watch} calls saw end: "cancelled:<request>" when the client went away. */
    public static final LinkedBlockingQueue<String> WATCH_ENDINGS = new LinkedBlockingQueue<>();
    private static final ScheduledExecutorService TICKS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "grpc-echo-ticks");
        thread.setDaemon(true);
        return thread;
    });
    /** A custom trailer the error cases send with their status. */
    public static final Metadata.Key<String> DETAIL = Metadata.Key.of("x-detail", Metadata.ASCII_STRING_MARSHALLER);

    private GrpcEcho() {
    }

    public static MethodDescriptor<String, String> method(String service, String name,
                                                          MethodDescriptor.MethodType type) {
        return MethodDescriptor.newBuilder(TEXT, TEXT).setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, name)).build();
    }

    /**
     * {@code test.Echo}, answering as {@code who}: Unary echoes ("missing" → trailers-only NOT_FOUND with
     * {@link #DETAIL}); Count streams n items (n = 2 → RESOURCE_EXHAUSTED after them); Join concatenates; Chat
     * answers each message as it arrives; Watch sends a tick every 20 ms until the client cancels, then records
     * that in {@link #WATCH_ENDINGS}; Hold reads messages and never answers, not even headers, and records
     * "held:<first message>" when a message arrives and "cancelled:<first message>" in {@link #WATCH_ENDINGS} when the
     * client goes away.
     */
    public static ServerServiceDefinition echo(String who) {
        return ServerServiceDefinition.builder("test.Echo")
                .addMethod(UNARY, ServerCalls.asyncUnaryCall((request, response) -> {
                    if (request.equals("missing")) {
                        Metadata trailers = new Metadata();
                        trailers.put(DETAIL, "nothing called missing");
                        // No message before the error: grpc-java answers "trailers-only" (one HEADERS frame).
                        response.onError(Status.NOT_FOUND.withDescription("no such item").asRuntimeException(
                                trailers));
                        return;
                    }
                    response.onNext(who + ":" + request);
                    response.onCompleted();
                }))
                .addMethod(SERVER_STREAM, ServerCalls.asyncServerStreamingCall((request, response) -> {
                    int n = Integer.parseInt(request);
                    for (int i = 1; i <= n; i++) {
                        response.onNext("item-" + i);
                    }
                    if (n == 2) {
                        Metadata trailers = new Metadata();
                        trailers.put(DETAIL, "stopped after two");
                        response.onError(Status.RESOURCE_EXHAUSTED.withDescription("quota").asRuntimeException(
                                trailers));
                    } else {
                        response.onCompleted();
                    }
                }))
                .addMethod(WATCH, ServerCalls.asyncServerStreamingCall((request, response) -> {
                    ServerCallStreamObserver<String> call = (ServerCallStreamObserver<String>) response;
                    AtomicInteger ticks = new AtomicInteger();
                    ScheduledFuture<?>[] ticking = new ScheduledFuture<?>[1];
                    call.setOnCancelHandler(() -> {
                        ticking[0].cancel(false);
                        WATCH_ENDINGS.add("cancelled:" + request);
                    });
                    ticking[0] = TICKS.scheduleAtFixedRate(() -> {
                        if (!call.isCancelled()) {
                            call.onNext("tick-" + ticks.incrementAndGet());
                        }
                    }, 0, 20, TimeUnit.MILLISECONDS);
                }))
                .addMethod(HOLD, ServerCalls.asyncBidiStreamingCall((StreamObserver<String> response) -> {
                    ServerCallStreamObserver<String> call = (ServerCallStreamObserver<String>) response;
                    String[] first = new String[1];
                    call.setOnCancelHandler(() -> WATCH_ENDINGS.add("cancelled:" + first[0]));
                    return new StreamObserver<String>() {
                        @Override
                        public void onNext(String value) {
                            if (first[0] == null) {
                                first[0] = value;
                                WATCH_ENDINGS.add("held:" + value);
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                        }

                        @Override
                        public void onCompleted() {
                        }
                    };
                }))
                .addMethod(CLIENT_STREAM, ServerCalls.asyncClientStreamingCall(
                        (StreamObserver<String> response) -> new StreamObserver<String>() {
                    private final StringBuilder joined = new StringBuilder();

                    @Override
                    public void onNext(String value) {
                        joined.append(value).append('+');
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        response.onNext(joined.toString());
                        response.onCompleted();
                    }
                }))
                .addMethod(BIDI, ServerCalls.asyncBidiStreamingCall(
                        (StreamObserver<String> response) -> new StreamObserver<String>() {
                    @Override
                    public void onNext(String value) {
                        response.onNext("re:" + value);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        response.onCompleted();
                    }
                }))
                .build();
    }

    /** {@code test.Secure}: Unary answers {@code tls:<request>}. */
    public static ServerServiceDefinition secure() {
        return ServerServiceDefinition.builder("test.Secure")
                .addMethod(SECURE_UNARY, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext("tls:" + request);
                    response.onCompleted();
                }))
                .build();
    }

    /** {@code test.Admin}: Reset answers {@code reset}. */
    public static ServerServiceDefinition admin() {
        return ServerServiceDefinition.builder("test.Admin")
                .addMethod(ADMIN, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext("reset");
                    response.onCompleted();
                }))
                .build();
    }

    /** A call as the server saw it: the full method name and the request headers. */
    public record Arrival(String method, Metadata headers) {
        public String header(String name) {
            return headers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
        }
    }

    /**
     * Records every call's headers, and adds {@link #SERVED_BY} to the response headers and {@link #CHECKSUM} to the
     * trailers; wrap services with {@link #intercept}.
     */
    public static final class HeaderRecorder implements ServerInterceptor {
        private final LinkedBlockingQueue<Arrival> arrivals = new LinkedBlockingQueue<>();

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            arrivals.add(new Arrival(call.getMethodDescriptor().getFullMethodName(), headers));
            boolean compressed = "gzip".equals(headers.get(GRPC_ENCODING));
            // Metadata of the server's own in both directions: a response header and a binary trailer.
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendHeaders(Metadata responseHeaders) {
                    if (compressed) {
                        // Answer a compressed call compressed (grpc-java servers answer uncompressed by default).
                        super.setCompression("gzip");
                    }
                    responseHeaders.put(SERVED_BY, "grpc-echo");
                    super.sendHeaders(responseHeaders);
                }

                @Override
                public void close(Status status, Metadata trailers) {
                    trailers.put(CHECKSUM, CHECKSUM_VALUE.clone());
                    super.close(status, trailers);
                }
            }, headers);
        }

        public ServerServiceDefinition intercept(ServerServiceDefinition service) {
            return ServerInterceptors.intercept(service, this);
        }

        /** The next call that arrived, waiting up to 10 seconds. */
        public Arrival take() throws InterruptedException {
            Arrival arrival = arrivals.poll(10, TimeUnit.SECONDS);
            if (arrival == null) {
                throw new AssertionError("no gRPC call arrived within 10 s");
            }
            return arrival;
        }

        /** The next call that arrived within {@code millis}, or null. */
        public Arrival poll(long millis) throws InterruptedException {
            return arrivals.poll(millis, TimeUnit.MILLISECONDS);
        }

        public void clear() {
            arrivals.clear();
        }
    }

    /**
     * Signs every call with SigV4 as a Lattice client would ({@code UNSIGNED-PAYLOAD}): a gRPC call is
     * {@code POST /<package.Service>/<Method>} to the channel's authority, which the interceptor knows before the
     * headers go out, so the signature can be made there. Signed headers: host, x-amz-date, x-amz-content-sha256.
     */
    public static ClientInterceptor sigV4(Signer signer, String secret) {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                                                         Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        Map<String, List<String>> signed = signer.signedHeaders("POST", next.authority(),
                                "/" + method.getFullMethodName(), secret);
                        signed.forEach((name, values) -> {
                            if (!name.equalsIgnoreCase("host")) {
                                Metadata.Key<String> key = Metadata.Key.of(name.toLowerCase(),
                                        Metadata.ASCII_STRING_MARSHALLER);
                                values.forEach(value -> headers.put(key, value));
                            }
                        });
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    /**
     * A call the server ends at once with NOT_FOUND and a trailer (a trailers-only answer: one HEADERS frame) reaches
     * the client with its status, description and trailer.
     */
    public static void assertTrailersOnlyError(Channel channel) {
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, UNARY, deadline(), "missing"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("no such item");
                    assertThat(e.getTrailers().get(DETAIL)).isEqualTo("nothing called missing");
                });
    }

    /** A stream that fails after two messages: the client gets both, then the status and trailer. */
    public static void assertErrorAfterMessages(Channel channel) {
        Iterator<String> items = ClientCalls.blockingServerStreamingCall(channel, SERVER_STREAM, deadline(), "2");
        assertThat(items.next()).isEqualTo("item-1");
        assertThat(items.next()).isEqualTo("item-2");
        assertThatThrownBy(items::hasNext).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(e.getStatus().getDescription()).isEqualTo("quota");
            assertThat(e.getTrailers().get(DETAIL)).isEqualTo("stopped after two");
        });
    }

    private static CallOptions deadline() {
        return CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    /** Five messages, each answered before the next is sent: nothing is buffered whole on the way. */
    public static void pingPong(Channel channel) throws Exception {
        LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
        CompletableFuture<String> done = new CompletableFuture<>();
        StreamObserver<String> requests = ClientCalls.asyncBidiStreamingCall(
                channel.newCall(BIDI, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)),
                new StreamObserver<>() {
                    @Override
                    public void onNext(String value) {
                        replies.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete("done");
                    }
                });
        for (int i = 0; i < 5; i++) {
            requests.onNext("m" + i);
            assertThat(replies.poll(5, TimeUnit.SECONDS)).isEqualTo("re:m" + i);
        }
        requests.onCompleted();
        assertThat(done.get(10, TimeUnit.SECONDS)).isEqualTo("done");
    }

    /** An observer that completes {@code answer} with the first message (or the error). */
    public static StreamObserver<String> last(CompletableFuture<String> answer) {
        return new StreamObserver<>() {
            @Override
            public void onNext(String value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    /**
     * Starts {@code test.Echo/Watch} as {@code name}, reads three ticks, cancels: the server must see the
     * cancellation (RST_STREAM carried through to it) within 5 seconds.
     */
    public static void cancelMidStream(Channel channel, String name) throws Exception {
        WATCH_ENDINGS.clear();
        LinkedBlockingQueue<String> ticks = new LinkedBlockingQueue<>();
        ClientCall<String, String> call = channel.newCall(WATCH,
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
        ClientCalls.asyncServerStreamingCall(call, name, collect(ticks, new CompletableFuture<>()));
        for (int i = 1; i <= 3; i++) {
            assertThat(ticks.poll(5, TimeUnit.SECONDS)).as(name).isEqualTo("tick-" + i);
        }
        call.cancel("the client is done", null);
        assertThat(WATCH_ENDINGS.poll(5, TimeUnit.SECONDS)).as(name).isEqualTo("cancelled:" + name);
    }

    /**
     * Opens {@code test.Echo/Hold}, sends one message and keeps the request open; once the server has it, cancels
     * before any response byte: the server must see the cancellation within 5 seconds, so the gateway(s) reset the
     * stream towards the target although neither the request nor the response had started to end.
     */
    public static void cancelBeforeAnyResponse(Channel channel, String name) throws Exception {
        WATCH_ENDINGS.clear();
        ClientCall<String, String> call = channel.newCall(HOLD,
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
        CompletableFuture<Void> end = new CompletableFuture<>();
        StreamObserver<String> requests = ClientCalls.asyncBidiStreamingCall(call,
                collect(new LinkedBlockingQueue<>(), end));
        requests.onNext(name);
        assertThat(WATCH_ENDINGS.poll(5, TimeUnit.SECONDS)).as(name).isEqualTo("held:" + name);
        call.cancel("the client gave up", null);
        assertThat(WATCH_ENDINGS.poll(5, TimeUnit.SECONDS)).as(name).isEqualTo("cancelled:" + name);
    }

    /**
     * Starts {@code test.Echo/Watch} with a 500 ms deadline: the client gets DEADLINE_EXCEEDED after some ticks and
     * the server sees the call end (its own deadline from {@code grpc-timeout}, or the client's RST_STREAM).
     */
    public static void expireMidStream(Channel channel, String name) throws Exception {
        WATCH_ENDINGS.clear();
        LinkedBlockingQueue<String> ticks = new LinkedBlockingQueue<>();
        CompletableFuture<Void> end = new CompletableFuture<>();
        ClientCalls.asyncServerStreamingCall(channel.newCall(WATCH,
                CallOptions.DEFAULT.withDeadlineAfter(500, TimeUnit.MILLISECONDS)), name, collect(ticks, end));
        assertThat(end).as(name).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(
                ExecutionException.class).havingCause()
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        assertThat(ticks).as(name).isNotEmpty();
        assertThat(WATCH_ENDINGS.poll(5, TimeUnit.SECONDS)).as(name).isEqualTo("cancelled:" + name);
    }

    /** An observer that adds each message to {@code messages} and completes {@code end} when the call ends. */
    public static StreamObserver<String> collect(LinkedBlockingQueue<String> messages, CompletableFuture<Void> end) {
        return new StreamObserver<>() {
            @Override
            public void onNext(String value) {
                messages.add(value);
            }

            @Override
            public void onError(Throwable t) {
                end.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                end.complete(null);
            }
        };
    }

    /**
     * A unary call with gzip-compressed messages whose response headers and trailers are captured: the server's
     * {@link #SERVED_BY} header and binary {@link #CHECKSUM} trailer must come back as sent, with nothing of the
     * gateways' own ({@code x-trellis-fabric-*}, Netty's {@code x-http2-*}).
     */
    public static void compressedCallWithServerMetadata(Channel channel, String expectedAnswer) {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        Channel capturing = ClientInterceptors.intercept(channel,
                MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
        String message = "compress me ".repeat(1000);
        assertThat(ClientCalls.blockingUnaryCall(capturing, UNARY,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS).withCompression("gzip"), message))
                .isEqualTo(expectedAnswer + message);
        assertThat(headers.get().get(SERVED_BY)).isEqualTo("grpc-echo");
        assertThat(headers.get().get(GRPC_ENCODING)).isEqualTo("gzip");
        assertThat(trailers.get().get(CHECKSUM)).containsExactly(CHECKSUM_VALUE);
        for (Metadata metadata : List.of(headers.get(), trailers.get())) {
            assertThat(metadata.keys()).noneMatch(name -> name.startsWith("x-trellis-fabric-")
                    || name.startsWith("x-http2-"));
        }
    }
}
