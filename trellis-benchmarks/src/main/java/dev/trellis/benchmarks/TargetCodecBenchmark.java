package dev.trellis.benchmarks;

import dev.trellis.gateway.http.LatticeHeaders;
import dev.trellis.gateway.proxy.Http1TargetCodec;
import dev.trellis.gateway.proxy.TargetRequestHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the codec of a connection to an HTTP/1.1 target costs per request: the request head the gateway sends for
 * the wrk harness's signed request (the client's four headers, {@code X-Forwarded-For}, the request id and the
 * gateway's six headers) encoded, and a small {@code 200} decoded, on an {@link EmbeddedChannel}.
 *
 * <ul>
 *   <li>{@link #nettyClientCodec}: the baseline, Netty's {@code HttpClientCodec} with the six headers as map
 *       entries, as the gateway's target connections had until 2026-11-28.</li>
 *   <li>{@link #http1TargetCodec}: the gateway's {@link Http1TargetCodec} with the same head, the six as
 *       {@link TargetRequestHeaders.Lines}.</li>
 * </ul>
 * Both write the same bytes (checked in {@link #setUp}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TargetCodecBenchmark {

    private static final String[] CLIENT_HEADERS = {
        "Host", "datastore-0891088e6cc27c501.7d67968.vpc-lattice-svcs.us-west-2.on.aws",
        "Authorization", "AWS4-HMAC-SHA256 Credential=AKIDBENCHFRONTEND000/20261129/us-west-2/vpc-lattice-svcs/"
            + "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            + "Signature=28796bd1448ef0222c682d43ba9852dc6e892eebe3668180ea44518c104c659e",
        "x-amz-content-sha256", "UNSIGNED-PAYLOAD",
        "X-Amz-Date", "20261129T012351Z",
    };
    private static final AsciiString[] GATEWAY_HEADERS = {
        AsciiString.cached(LatticeHeaders.FORWARDED_PORT), AsciiString.cached("80"),
        AsciiString.cached(LatticeHeaders.FORWARDED_PROTO), AsciiString.cached("http"),
        AsciiString.cached(LatticeHeaders.IDENTITY), new AsciiString("Principal=arn:aws:iam::111122223333:role/"
            + "frontend; PrincipalOrgID=; SessionName=; Type=AWS_IAM"),
        AsciiString.cached(LatticeHeaders.NETWORK), new AsciiString("SourceVpcArn=arn:aws:ec2:us-west-2:"
            + "111122223333:vpc/vpc-0a1b2c3d4e5f67890"),
        AsciiString.cached(LatticeHeaders.TARGET), new AsciiString("ServiceArn=arn:aws:vpc-lattice:us-west-2:"
            + "111122223333:service/svc-0891088e6cc27c501; ServiceNetworkArn=arn:aws:vpc-lattice:us-west-2:"
            + "111122223333:servicenetwork/sn-0a1b2c3d4e5f67890; TargetGroupArn=arn:aws:vpc-lattice:us-west-2:"
            + "111122223333:targetgroup/tg-0a1b2c3d4e5f67890"),
        AsciiString.cached(LatticeHeaders.SOURCE_VPC), new AsciiString("vpc-0a1b2c3d4e5f67890"),
    };
    private static final ByteBuf RESPONSE = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII)));

    private EmbeddedChannel netty;
    private EmbeddedChannel trellis;
    private HttpRequest nettyHead;
    private HttpRequest trellisHead;

    @Setup
    public void setUp() {
        netty = new EmbeddedChannel(new HttpClientCodec());
        trellis = new EmbeddedChannel(new Http1TargetCodec(new HttpDecoderConfig()));
        HttpHeaders entries = new DefaultHttpHeaders();
        TargetRequestHeaders lines = new TargetRequestHeaders(TargetRequestHeaders.Lines.of(GATEWAY_HEADERS));
        for (int i = 0; i < CLIENT_HEADERS.length; i += 2) {
            entries.add(CLIENT_HEADERS[i], CLIENT_HEADERS[i + 1]);
            lines.add(CLIENT_HEADERS[i], CLIENT_HEADERS[i + 1]);
        }
        for (HttpHeaders headers : new HttpHeaders[] {entries, lines}) {
            headers.add(LatticeHeaders.FORWARDED_FOR, "127.0.0.1");
            headers.add(LatticeHeaders.REQUEST_ID, "3f0c2a9e-61b4-4b0e-9f57-1d8e3f0a4c21");
        }
        for (int i = 0; i < GATEWAY_HEADERS.length; i += 2) {
            entries.add(GATEWAY_HEADERS[i], GATEWAY_HEADERS[i + 1]);
        }
        // Whole messages (a GET's head with its empty end, as the gateway joins them): the same object is sent on
        // every call, and its empty content's release is a no-op.
        nettyHead = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", Unpooled.EMPTY_BUFFER,
                entries, new DefaultHttpHeaders());
        trellisHead = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", Unpooled.EMPTY_BUFFER,
                lines, new DefaultHttpHeaders());
        String nettyBytes = encoded(netty, nettyHead);
        String trellisBytes = encoded(trellis, trellisHead);
        if (!nettyBytes.equals(trellisBytes)) {
            throw new IllegalStateException("the codecs write different heads:\n" + nettyBytes + "\n" + trellisBytes);
        }
    }

    private static String encoded(EmbeddedChannel channel, HttpRequest head) {
        channel.writeOutbound(head);
        StringBuilder text = new StringBuilder();
        for (ByteBuf out; (out = channel.readOutbound()) != null; out.release()) {
            text.append(out.toString(StandardCharsets.ISO_8859_1));
        }
        channel.writeInbound(RESPONSE.duplicate());
        if (drainInbound(channel) != 2) {
            throw new IllegalStateException("expected the response's head and its end");
        }
        return text.toString();
    }

    @TearDown
    public void tearDown() {
        netty.finishAndReleaseAll();
        trellis.finishAndReleaseAll();
    }

    @Benchmark
    public int nettyClientCodec() {
        return exchange(netty, nettyHead);
    }

    @Benchmark
    public int http1TargetCodec() {
        return exchange(trellis, trellisHead);
    }

    /** One request head out, one response in; returns the bytes written. */
    private static int exchange(EmbeddedChannel channel, HttpRequest head) {
        channel.writeOutbound(head);
        int written = 0;
        for (ByteBuf out; (out = channel.readOutbound()) != null; out.release()) {
            written += out.readableBytes();
        }
        channel.writeInbound(RESPONSE.duplicate());
        return written + drainInbound(channel);
    }

    private static int drainInbound(EmbeddedChannel channel) {
        int messages = 0;
        for (Object message; (message = channel.readInbound()) != null; messages++) {
            ReferenceCountUtil.release(message);
        }
        return messages;
    }
}
