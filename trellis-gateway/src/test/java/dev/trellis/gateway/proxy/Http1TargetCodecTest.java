package dev.trellis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.gateway.support.DecodedMessages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Http1TargetCodec}: a request head's pre-encoded lines reach the wire after its other headers, and each
 * response is read as the answer to its own request's method, as Netty's {@code HttpClientCodec} reads it.
 */
class Http1TargetCodecTest {

    private final EmbeddedChannel channel = new EmbeddedChannel(new Http1TargetCodec(new HttpDecoderConfig()));
    private final List<Object> read = new ArrayList<>();

    @AfterEach
    void close() {
        read.forEach(io.netty.util.ReferenceCountUtil::release);
        channel.finishAndReleaseAll();
    }

    @Test
    void theLinesAreWrittenAfterTheMapsHeadersAndBeforeTheHeadsEnd() {
        TargetRequestHeaders.Lines lines = TargetRequestHeaders.Lines.of(
                AsciiString.of("x-forwarded-port"), AsciiString.of("80"),
                AsciiString.of("x-amzn-source-vpc"), AsciiString.of("vpc-0a"));
        TargetRequestHeaders headers = new TargetRequestHeaders(lines);
        headers.add("host", "svc.example");
        headers.add("x-amzn-requestid", "r-1");

        assertThat(sent(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a?b=1",
                Unpooled.EMPTY_BUFFER, headers, new TargetRequestHeaders(TargetRequestHeaders.Lines.NONE))))
                .isEqualTo("GET /a?b=1 HTTP/1.1\r\nhost: svc.example\r\nx-amzn-requestid: r-1\r\n"
                        + "x-forwarded-port: 80\r\nx-amzn-source-vpc: vpc-0a\r\n\r\n");
        assertThat(lines).hasToString("x-forwarded-port: 80; x-amzn-source-vpc: vpc-0a; ");
    }

    @Test
    void aDecodedRequestsOwnHeadersValidateAndTakeTheirLinesWhenTheyGoOn() {
        HttpHeaders decoded = TargetRequestHeaders.DECODED.newHeaders();
        decoded.add("host", "svc.example");
        // Made for a decoder: values are still checked as Netty checks them.
        assertThatThrownBy(() -> decoded.add("x-bad", "a\u0000b")).isInstanceOf(IllegalArgumentException.class);
        TargetRequestHeaders headers = ((TargetRequestHeaders) decoded).endWith(TargetRequestHeaders.Lines.of(
                AsciiString.of("x-forwarded-port"), AsciiString.of("80")));

        assertThat(headers).isSameAs(decoded);
        assertThat(sent(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", headers)))
                .isEqualTo("GET / HTTP/1.1\r\nhost: svc.example\r\nx-forwarded-port: 80\r\n\r\n");
    }

    @Test
    void otherHeadersAreEncodedAsNettyEncodesThem() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/");
        request.headers().add("host", "svc.example").add("content-length", "0");

        assertThat(sent(request)).isEqualTo("POST / HTTP/1.1\r\nhost: svc.example\r\ncontent-length: 0\r\n\r\n");
    }

    @Test
    void stringValuesGoOutAsTheirOctetsWhetherTheyFitTheScratchArrayOrNot() {
        // The decoder makes U+00E9 of the byte 0xE9; a 700-character value is longer than the encoder's scratch.
        String long700 = "v".repeat(700);
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        request.headers().add("x-latin1", "caf\u00e9").add("x-long", long700).add(AsciiString.of("x-ascii"), "1");

        assertThat(channel.writeOutbound(request)).isTrue();
        ByteBuf wire = Unpooled.buffer();
        for (ByteBuf buf; (buf = channel.readOutbound()) != null; buf.release()) {
            wire.writeBytes(buf);
        }
        assertThat(ByteBufUtil.getBytes(wire)).isEqualTo(("GET / HTTP/1.1\r\nx-latin1: caf\u00e9\r\nx-long: " + long700
                + "\r\nx-ascii: 1\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        wire.release();
    }

    @Test
    void theResponseToAHeadHasNoBodyWhateverItsContentLengthSaysAndTheNextResponseIsReadWhole() {
        sent(get(HttpMethod.HEAD));
        sent(get(HttpMethod.GET));

        receive("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"
                + "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");

        assertThat(read).hasSize(4);
        assertThat(((HttpResponse) read.get(0)).headers().get("content-length")).isEqualTo("5");
        assertThat(read.get(1)).isInstanceOf(LastHttpContent.class);
        assertThat(((HttpContent) read.get(1)).content().readableBytes()).isZero();
        assertThat(read.get(2)).isInstanceOf(HttpResponse.class);
        assertThat(((HttpContent) read.get(3)).content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
    }

    @Test
    void anInterimResponseDoesNotTakeTheMethodOfTheRequestItPrecedes() {
        sent(get(HttpMethod.HEAD));

        receive("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n");

        List<Integer> statuses = new ArrayList<>();
        for (Object message : read) {
            if (message instanceof HttpResponse response) {
                statuses.add(response.status().code());
            }
        }
        assertThat(statuses).containsExactly(100, 200);
        // The 200 answers the HEAD: no body is waited for, the message ends at its head.
        assertThat(read.get(read.size() - 1)).isInstanceOf(LastHttpContent.class);
        assertThat(((HttpContent) read.get(read.size() - 1)).content().readableBytes()).isZero();
    }

    @Test
    void afterA200ToAConnectTheBytesPassAsTheyCome() {
        sent(get(HttpMethod.CONNECT));

        receive("HTTP/1.1 200 Connection Established\r\n\r\n");
        receive("\u0016\u0003\u0001 raw");

        assertThat(read.get(0)).isInstanceOf(HttpResponse.class);
        Object last = read.get(read.size() - 1);
        assertThat(last).isInstanceOf(ByteBuf.class).isNotInstanceOf(HttpContent.class);
        assertThat(((ByteBuf) last).toString(StandardCharsets.ISO_8859_1)).isEqualTo("\u0016\u0003\u0001 raw");
    }

    /** Responses the codec decodes in one pass (Http1Heads). */
    private static final List<String> COMMON_RESPONSES = List.of(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.0 404 Not Found\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nnah",
            "HTTP/1.1 200 Fine Thanks\r\nContent-Length: 1\r\nX-Empty:\r\nX-Trim: \t a b \t\r\n\r\nx",
            "HTTP/1.1 503 Service Unavailable \t\r\nContent-Length: 1\r\nX-Eight-Bit: caf\u00e9\r\n\r\nx",
            "HTTP/1.1 299 Whatever\r\nContent-Length: 16\r\n\r\n0123456789abcdef",
            "HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n1234567");

    /** Responses left to Netty's decoder. */
    private static final List<String> UNCOMMON_RESPONSES = List.of(
            "HTTP/1.1 200 OK\r\n\r\nto the close",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            "HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\nxx",
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 2\r\n\r\nxx",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx",
            "HTTP/1.1 200 OK\r\nContent-Length: 1 1\r\n\r\nx",
            "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n0123456789abcdefg",
            "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx",
            "HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\nx",
            "HTTP/1.1 200 \tOK\r\nContent-Length: 1\r\n\r\nx",
            "HTTP/1.1 200  OK\r\nContent-Length: 1\r\n\r\nx",
            "HTTP/1.1  200 OK\r\nContent-Length: 1\r\n\r\nx",
            "HTTP/1.2 200 OK\r\nContent-Length: 1\r\n\r\nx",
            "HTTP/2 200 OK\r\nContent-Length: 1\r\n\r\nx",
            "HTTP/1.1 2x0 OK\r\nContent-Length: 1\r\n\r\nx",
            "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx",
            "HTTP/1.1 200 OK\nContent-Length: 1\n\nx",
            "HTTP/1.1 200 OK\r\nX-Fold: a\r\n b\r\nContent-Length: 1\r\n\r\nx",
            "HTTP/1.1 200 OK\r\nX-Bad: a\u0001b\r\nContent-Length: 1\r\n\r\nx");

    @Test
    void eachResponseDecodesAsNettysClientCodecDecodesIt() {
        List<String> all = new ArrayList<>(COMMON_RESPONSES);
        all.addAll(UNCOMMON_RESPONSES);
        for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.HEAD)) {
            for (String response : all) {
                assertSameAsNetty(List.of(method), response);
            }
        }
        // Pipelined: both kinds, and a HEAD's among them.
        assertSameAsNetty(List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.GET, HttpMethod.GET, HttpMethod.GET),
                COMMON_RESPONSES.get(0) + COMMON_RESPONSES.get(1) + UNCOMMON_RESPONSES.get(1)
                        + COMMON_RESPONSES.get(2) + COMMON_RESPONSES.get(5));
    }

    @Test
    void everyByteInAFieldIsTakenOrRefusedAsNettysClientCodecDoes() {
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf((char) b);
            String end = "\r\nContent-Length: 1\r\n\r\nx";
            assertSameAsNetty(List.of(HttpMethod.GET), "HTTP/1.1 200 OK\r\nX-A" + c + "b: v" + end);
            assertSameAsNetty(List.of(HttpMethod.GET), "HTTP/1.1 200 OK\r\nX-A: v" + c + "w" + end);
            assertSameAsNetty(List.of(HttpMethod.GET), "HTTP/1.1 200 O" + c + "K" + end);
        }
    }

    @Test
    void aCommonResponseIsReadInOnePassIntoAMapThatDoesNotValidateAgain() {
        sent(get(HttpMethod.GET));
        receive(COMMON_RESPONSES.get(0));
        sent(get(HttpMethod.GET));
        receive(UNCOMMON_RESPONSES.get(1));

        // Its fields were checked as they were read; the map Netty's decoder makes checks each one it takes.
        HttpResponse common = (HttpResponse) read.get(0);
        common.headers().add("x-unchecked", "a\u0000b");
        HttpResponse uncommon = (HttpResponse) read.get(2);
        assertThatThrownBy(() -> uncommon.headers().add("x-checked", "a\u0000b"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertSameAsNetty(List<HttpMethod> methods, String responses) {
        for (List<Integer> cuts : DecodedMessages.deliveries(responses.length())) {
            assertThat(decodeResponses(new Http1TargetCodec(CONFIG), methods, responses, cuts))
                    .as("%s after %s, cut at %s", responses, methods, cuts.size() > 1 ? "every byte" : cuts)
                    .isEqualTo(decodeResponses(new HttpClientCodec(CONFIG, false, false), methods, responses, cuts));
        }
    }

    /** Small limits, so that the limits are met: a line of 60 bytes, headers of 200, chunks of 16. */
    private static final HttpDecoderConfig CONFIG = new HttpDecoderConfig().setMaxInitialLineLength(60)
            .setMaxHeaderSize(200).setMaxChunkSize(16);

    private static String decodeResponses(ChannelHandler codec, List<HttpMethod> methods, String responses,
            List<Integer> cuts) {
        EmbeddedChannel channel = new EmbeddedChannel(codec);
        for (HttpMethod method : methods) {
            channel.writeOutbound(get(method));
        }
        channel.outboundMessages().forEach(ReferenceCountUtil::release);
        channel.outboundMessages().clear();
        return DecodedMessages.read(channel, responses, cuts);
    }

    private static HttpRequest get(HttpMethod method) {
        HttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/");
        request.headers().add("host", "svc.example");
        return request;
    }

    private String sent(HttpRequest request) {
        assertThat(channel.writeOutbound(request)).isTrue();
        StringBuilder out = new StringBuilder();
        ByteBuf buf;
        while ((buf = channel.readOutbound()) != null) {
            out.append(buf.toString(StandardCharsets.US_ASCII));
            buf.release();
        }
        return out.toString();
    }

    private void receive(String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
        Object message;
        while ((message = channel.readInbound()) != null) {
            read.add(message);
        }
    }
}
