package dev.trellis.controller.conformance;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The conformance suite's gRPC echo ({@code echo-basic} with {@code GRPC_ECHO_SERVER=1}): service
 * {@code gateway_api_conformance.echo_basic.grpcecho.GrpcEcho} with the unary RPCs {@code Echo}, {@code EchoTwo} and
 * {@code EchoThree}, each taking an empty {@code EchoRequest} and answering an {@code EchoResponse} whose assertions
 * say which method was called, the request metadata, the {@code :authority} and which pod (namespace, service, pod)
 * served it — the server here, and a client for the cases.
 *
 * <p>The messages are protobuf, written and read by hand: the proto file is not in {@code shared/reference} and the
 * module has no protobuf runtime. Field numbers follow the order conformance-cases.md lists them in:
 * {@code EchoResponse{1 assertions}}, {@code Assertions{1 fully_qualified_method, 2 headers (Header{1 key, 2 value}),
 * 3 authority, 4 context}}, {@code Context{1 namespace, 2 service_name, 3 pod}}.
 */
final class GrpcEcho {

    static final String SERVICE = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho";
    static final List<String> METHODS = List.of("Echo", "EchoTwo", "EchoThree");

    /** What a call's answer says: the method the backend saw, its :authority, its metadata, and who served it. */
    record Answer(String fullyQualifiedMethod, String authority, Map<String, String> headers, String namespace,
            String serviceName, String pod) {
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private GrpcEcho() {
    }

    static MethodDescriptor<byte[], byte[]> method(String name) {
        return MethodDescriptor.newBuilder(BYTES, BYTES).setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name)).build();
    }

    /** A cleartext HTTP/2 gRPC server on 127.0.0.1 answering the three RPCs for this pod. */
    static Server start(String namespace, String pod) throws IOException {
        String serviceName = pod.substring(0, pod.lastIndexOf('-'));
        ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(SERVICE);
        for (String name : METHODS) {
            service.addMethod(method(name), echoHandler(namespace, serviceName, pod));
        }
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service.build()).build()
                .start();
    }

    /** Answers each unary call with the assertions, once the request (an empty message) has arrived. */
    private static ServerCallHandler<byte[], byte[]> echoHandler(String namespace, String serviceName, String pod) {
        return (call, metadata) -> {
            call.request(1);
            return new ServerCall.Listener<>() {
                @Override
                public void onHalfClose() {
                    call.sendHeaders(new Metadata());
                    call.sendMessage(response(call.getMethodDescriptor().getFullMethodName(), call.getAuthority(),
                            metadata, namespace, serviceName, pod));
                    call.close(Status.OK, new Metadata());
                }
            };
        };
    }

    private static byte[] response(String method, String authority, Metadata metadata, String namespace,
            String serviceName, String pod) {
        ByteArrayOutputStream assertions = new ByteArrayOutputStream();
        field(assertions, 1, utf8(method));
        for (String key : metadata.keys()) {
            if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                continue;
            }
            for (String value : metadata.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER))) {
                ByteArrayOutputStream header = new ByteArrayOutputStream();
                field(header, 1, utf8(key));
                field(header, 2, utf8(value));
                field(assertions, 2, header.toByteArray());
            }
        }
        field(assertions, 3, utf8(authority == null ? "" : authority));
        ByteArrayOutputStream context = new ByteArrayOutputStream();
        field(context, 1, utf8(namespace));
        field(context, 2, utf8(serviceName));
        field(context, 3, utf8(pod));
        field(assertions, 4, context.toByteArray());
        ByteArrayOutputStream response = new ByteArrayOutputStream();
        field(response, 1, assertions.toByteArray());
        return response.toByteArray();
    }

    static Answer parse(byte[] response) {
        byte[] assertions = fields(response).getOrDefault(1, List.of(new byte[0])).get(0);
        Map<Integer, List<byte[]>> a = fields(assertions);
        Map<String, String> headers = new LinkedHashMap<>();
        for (byte[] header : a.getOrDefault(2, List.of())) {
            Map<Integer, List<byte[]>> h = fields(header);
            headers.put(string(h, 1), string(h, 2));
        }
        Map<Integer, List<byte[]>> context = fields(a.getOrDefault(4, List.of(new byte[0])).get(0));
        return new Answer(string(a, 1), string(a, 3), headers, string(context, 1), string(context, 2), string(context, 3));
    }

    /**
     * A TLS channel to the gateway's HTTPS listener at 127.0.0.1:{@code port}, trusting {@code caPem} (the control
     * plane's CA, which issues Lattice's certificates here) and sending {@code authority} as :authority and SNI.
     */
    static ManagedChannel channel(int port, String caPem, String authority) throws IOException {
        return Grpc.newChannelBuilderForAddress("127.0.0.1", port, TlsChannelCredentials.newBuilder()
                        .trustManager(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))).build())
                .overrideAuthority(authority).build();
    }

    /** One unary call with the given metadata (ASCII keys and values); throws StatusRuntimeException on a non-OK status. */
    static Answer call(ManagedChannel channel, String method, Map<String, String> metadata) {
        Metadata headers = new Metadata();
        metadata.forEach((k, v) -> headers.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
        var intercepted = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        return parse(ClientCalls.blockingUnaryCall(intercepted, method(method),
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[0]));
    }

    // ---- the protobuf wire format, length-delimited fields only (all these messages have)

    private static void field(ByteArrayOutputStream out, int number, byte[] value) {
        varint(out, (number << 3) | 2);
        varint(out, value.length);
        out.writeBytes(value);
    }

    private static void varint(ByteArrayOutputStream out, int value) {
        while ((value & ~0x7F) != 0) {
            out.write((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.write(value);
    }

    private static Map<Integer, List<byte[]>> fields(byte[] message) {
        Map<Integer, List<byte[]>> out = new LinkedHashMap<>();
        int[] at = {0};
        while (at[0] < message.length) {
            int key = readVarint(message, at);
            if ((key & 7) != 2) {
                throw new IllegalArgumentException("field " + (key >>> 3) + " has wire type " + (key & 7)
                        + "; only length-delimited fields are expected");
            }
            int length = readVarint(message, at);
            byte[] value = java.util.Arrays.copyOfRange(message, at[0], at[0] + length);
            at[0] += length;
            out.computeIfAbsent(key >>> 3, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    private static int readVarint(byte[] in, int[] at) {
        int value = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = in[at[0]++];
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
    }

    private static String string(Map<Integer, List<byte[]>> fields, int number) {
        List<byte[]> values = fields.get(number);
        return values == null ? "" : new String(values.get(0), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
