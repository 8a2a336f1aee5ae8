package dev.trellis.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.gateway.proxy.Http1Heads;
import dev.trellis.gateway.proxy.TargetRequestHeaders;
import dev.trellis.gateway.support.DecodedMessages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * {@link ClientHttp1Codec} against Netty's {@code HttpServerCodec}: the same bytes in, the same messages out (method,
 * target, version, header fields in order, contents, errors), whole, split at every byte and pipelined; and the same
 * bytes out for the responses. {@link RequestHeadParser} must take the common heads (else these comparisons would
 * compare Netty with itself) and leave every other head, untouched, to Netty's decoder.
 */
class ClientHttp1CodecTest {

    private static final int MAX_LINE = 100;
    private static final int MAX_HEADERS = 600;

    private static final String SIGNED = "GET /orders?id=7 HTTP/1.1\r\n"
            + "Host: datastore-0891088e6cc27c501.7d67968.vpc-lattice-svcs.us-west-2.on.aws\r\n"
            + "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-west-2/vpc-lattice-svcs/"
            + "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=d55ee81e2661d69\r\n"
            + "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n"
            + "X-Amz-Date: 20261129T054056Z\r\n\r\n";

    /** Heads the parser takes. */
    private static final List<String> COMMON = List.of(
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET /a/b?c=d&e=%20f#g HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
            "POST /p HTTP/1.1\r\nHost: a\r\n\r\n",
            "PUT /p HTTP/1.1\r\nHost: a\r\n\r\n",
            "HEAD /p HTTP/1.1\r\nHost: a\r\n\r\n",
            "DELETE /p HTTP/1.1\r\nHost: a\r\n\r\n",
            "PATCH /p HTTP/1.1\r\nHost: a\r\n\r\n",
            "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nX-Empty:\r\nX-Blank: \t \r\nX-Trim:  \tv a l \t \r\nx-dup: 1\r\nX-DUP: 2\r\n\r\n",
            "GET / HTTP/1.1\r\nX-Eight-Bit: caf\u00e9 \u00ff\r\nX-Tab: a\tb\r\n!#$%&'*+-.^_`|~09az: t\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Lengthy: 5\r\nTransfer-Encodings: chunked\r\nUpgrade: h2c\r\n\r\n",
            SIGNED);

    /** Heads (and whole messages) left to Netty's decoder: bodies, odd framing, errors, limits. */
    private static final List<String> UNCOMMON = List.of(
            "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
            "POST /p HTTP/1.1\r\nHost: a\r\ncontent-length: 0\r\n\r\n",
            "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
            "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
            "POST /p HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "POST /p HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "GET /ws HTTP/1.1\r\nSec-WebSocket-Key1: 1\r\nSec-WebSocket-Key2: 2\r\n\r\n12345678",
            "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
            "TRACE / HTTP/1.1\r\n\r\n",
            "BREW /pot HTTP/1.1\r\n\r\n",
            "get / HTTP/1.1\r\n\r\n",
            "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET  / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1 \r\n\r\n",
            "GET\t/ HTTP/1.1\r\n\r\n",
            "GET /\u00e9 HTTP/1.1\r\n\r\n",
            "GET /a\u0001 HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.2\r\n\r\n",
            "GET / HTTP/2.0\r\n\r\n",
            "GET / http/1.1\r\n\r\n",
            "GET /\r\n\r\n",
            "GET / HTTP/1.1\nHost: a\n\n",
            "GET / HTTP/1.1\r\nHost: a\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n",
            "GET / HTTP/1.1\r\nX-Fold: a\r\n b\r\n\r\n",
            "GET / HTTP/1.1\r\n X-Lead: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            "GET / HTTP/1.1\r\n: a\r\n\r\n",
            "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
            "GET / HTTP/1.1\r\nX-A: a\u0000b\r\n\r\n",
            "GET / HTTP/1.1\r\nX-A: a\u007fb\r\n\r\n",
            "GET /" + "a".repeat(MAX_LINE) + " HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nX-Long: " + "v".repeat(MAX_HEADERS) + "\r\n\r\n");

    @Test
    void theParserTakesTheCommonHeadsAndLeavesTheRestUntouched() {
        for (String head : COMMON) {
            ByteBuf in = bytes(head + "NEXT");
            HttpRequest request = RequestHeadParser.parse(in, MAX_LINE, MAX_HEADERS);
            assertThat(request).as(head).isNotNull();
            assertThat(in.toString(StandardCharsets.ISO_8859_1)).as(head).isEqualTo("NEXT");
            in.release();
        }
        for (String message : UNCOMMON) {
            ByteBuf in = bytes(message);
            assertThat(RequestHeadParser.parse(in, MAX_LINE, MAX_HEADERS)).as(message).isNull();
            assertThat(in.readerIndex()).as(message).isZero();
            in.release();
        }
        // Not all there yet.
        for (int cut = 0; cut < SIGNED.length(); cut++) {
            ByteBuf in = bytes(SIGNED.substring(0, cut));
            assertThat(RequestHeadParser.parse(in, 8192, 8192)).as("cut at %d", cut).isNull();
            assertThat(in.readerIndex()).isZero();
            in.release();
        }
    }

    @Test
    void eachHeadDecodesAsNettysDecoderDecodesIt() {
        List<String> all = new ArrayList<>(COMMON);
        all.addAll(UNCOMMON);
        for (String message : all) {
            assertSameAsNetty(message, MAX_LINE, MAX_HEADERS);
        }
    }

    @Test
    void everyByteInANameAValueAndATargetIsTakenOrRefusedAsNettysDecoderDoes() {
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf((char) b);
            assertSameAsNetty("GET / HTTP/1.1\r\nX-A" + c + "b: v\r\n\r\n", MAX_LINE, MAX_HEADERS);
            assertSameAsNetty("GET / HTTP/1.1\r\nX-A: v" + c + "w\r\n\r\n", MAX_LINE, MAX_HEADERS);
            assertSameAsNetty("GET / HTTP/1.1\r\nX-A: " + c + "w\r\n\r\n", MAX_LINE, MAX_HEADERS);
            assertSameAsNetty("GET / HTTP/1.1\r\nX-A: v" + c + "\r\n\r\n", MAX_LINE, MAX_HEADERS);
            assertSameAsNetty("GET /a" + c + "b HTTP/1.1\r\n\r\n", MAX_LINE, MAX_HEADERS);
        }
    }

    @Test
    void atTheLimitsTheHeadIsTakenOrRefusedAsNettysDecoderDoes() {
        for (int length = MAX_LINE - 3; length <= MAX_LINE + 3; length++) {
            String line = "GET /" + "a".repeat(length - "GET / HTTP/1.1".length()) + " HTTP/1.1";
            assertSameAsNetty(line + "\r\nHost: a\r\n\r\n", MAX_LINE, MAX_HEADERS);
        }
        for (int length = MAX_HEADERS - 8; length <= MAX_HEADERS + 8; length++) {
            String field = "X-A: " + "v".repeat(length - "X-A: ".length());
            assertSameAsNetty("GET / HTTP/1.1\r\n" + field + "\r\n\r\n", MAX_LINE, MAX_HEADERS);
            assertSameAsNetty("GET / HTTP/1.1\r\nHost: a\r\n" + field + "\r\n\r\n", MAX_LINE, MAX_HEADERS);
        }
        // Longer than the parser's window, within the decoder's limits: Netty's decoder takes it.
        String big = "GET / HTTP/1.1\r\nX-Big: " + "b".repeat(Http1Heads.LONGEST_HEAD) + "\r\n\r\n";
        assertSameAsNetty(big, 16 * 1024, 32 * 1024);
    }

    @Test
    void pipelinedMessagesOfBothKindsDecodeInOrder() {
        String pipelined = COMMON.get(1) + UNCOMMON.get(0) + SIGNED + UNCOMMON.get(2) + COMMON.get(2)
                + "GET /after-error HTTP/1.1\r\nX-A: a\u0000b\r\n\r\n" + COMMON.get(1);
        assertSameAsNetty(pipelined, MAX_LINE, MAX_HEADERS);
        // Random cuts through a long pipeline of every kind.
        Random random = new Random(7);
        StringBuilder many = new StringBuilder();
        List<String> all = new ArrayList<>(COMMON);
        all.addAll(UNCOMMON.subList(0, 4));
        for (int i = 0; i < 60; i++) {
            many.append(all.get(random.nextInt(all.size())));
        }
        for (int run = 0; run < 20; run++) {
            List<Integer> cuts = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                cuts.add(random.nextInt(many.length()));
            }
            cuts.sort(null);
            assertThat(decode(codec(8192, 8192), many.toString(), cuts))
                    .isEqualTo(decode(netty(8192, 8192), many.toString(), cuts));
        }
    }

    @Test
    void responsesAreEncodedAsNettysCodecEncodesThem() {
        // HEAD's response has no body; CONNECT's 2xx no Transfer-Encoding; a 1xx does not take a request's place.
        String requests = "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n" + "GET /g HTTP/1.1\r\nHost: a\r\n\r\n"
                + "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n" + "GET /g HTTP/1.1\r\nHost: a\r\n\r\n";
        Supplier<List<Object>> responses = () -> List.of(
                response(HttpResponseStatus.OK, "head-body"),
                response(HttpResponseStatus.CONTINUE, ""),
                response(HttpResponseStatus.OK, "get-body"),
                chunkedResponse(HttpResponseStatus.OK),
                response(HttpResponseStatus.OK, "last"));
        assertThat(exchange(codec(MAX_LINE, MAX_HEADERS), requests, responses.get()))
                .isEqualTo(exchange(netty(MAX_LINE, MAX_HEADERS), requests, responses.get()))
                .contains("HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nHTTP/1.1 100 Continue");
    }

    @Test
    void responsesOfEveryKindAreEncodedAsNettysCodecEncodesThem() {
        String get = "GET /g HTTP/1.1\r\nHost: a\r\n\r\n";
        String requests = get.repeat(14) + "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n" + get;
        Supplier<List<Object>> responses = () -> List.of(
                response(HttpResponseStatus.OK, "ok"),
                response(HttpResponseStatus.OK, ""),
                response(new HttpResponseStatus(200, "Fine Thanks"), "x"),
                response(HttpResponseStatus.valueOf(299), "x"),
                response(HttpResponseStatus.NOT_FOUND, "b".repeat(1024)),
                response(HttpResponseStatus.OK, "b".repeat(1025)),
                withHeaders(response(HttpResponseStatus.OK, "s"), "x-string", "plain value", "x-empty", ""),
                response(HttpResponseStatus.NO_CONTENT, ""),
                response(HttpResponseStatus.RESET_CONTENT, ""),
                response(HttpResponseStatus.NOT_MODIFIED, ""),
                chunkedResponse(HttpResponseStatus.OK),
                http10(response(HttpResponseStatus.OK, "old")),
                // A head, a piece and an end, then whole ones again.
                new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK),
                new DefaultHttpContent(Unpooled.copiedBuffer("piece", StandardCharsets.ISO_8859_1)),
                new DefaultLastHttpContent(),
                response(HttpResponseStatus.OK, "after"),
                response(HttpResponseStatus.OK, "head-body"),
                response(HttpResponseStatus.OK, "last"));
        assertThat(exchange(codec(MAX_LINE, MAX_HEADERS), requests, responses.get()))
                .isEqualTo(exchange(netty(MAX_LINE, MAX_HEADERS), requests, responses.get()))
                .contains("HTTP/1.1 200 Fine Thanks\r\ncontent-length: 1\r\n\r\nx")
                .contains("HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nlast");
    }

    private static Object withHeaders(Object response, String... namesAndValues) {
        for (int i = 0; i < namesAndValues.length; i += 2) {
            ((HttpResponse) response).headers().add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return response;
    }

    private static Object http10(Object response) {
        ((HttpResponse) response).setProtocolVersion(HttpVersion.HTTP_1_0);
        return response;
    }

    @Test
    void morePipelinedRequestsThanTheDepthAreRefusedAsNettysCodecRefusesThem() {
        String request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        String tooMany = request.repeat(ClientHttp1Codec.MAX_PIPELINE_DEPTH + 2);
        assertThat(decode(codec(MAX_LINE, MAX_HEADERS), tooMany, List.of()))
                .isEqualTo(decode(netty(MAX_LINE, MAX_HEADERS), tooMany, List.of()))
                .contains("maxPipelineDepth exceeded: 128");
        // And the connection closes after the next response, as with Netty's codec.
        for (Supplier<ChannelHandler> codec : List.<Supplier<ChannelHandler>>of(
                () -> codec(MAX_LINE, MAX_HEADERS), () -> netty(MAX_LINE, MAX_HEADERS))) {
            ChannelHandler handler = codec.get();
            EmbeddedChannel channel = new EmbeddedChannel(handler);
            assertThatThrownBy(() -> channel.writeInbound(bytes(tooMany)))
                    .hasMessageContaining("maxPipelineDepth exceeded");
            channel.inboundMessages().forEach(ReferenceCountUtil::release);
            channel.inboundMessages().clear();
            assertThat(channel.isOpen()).isTrue();
            channel.writeOutbound(response(HttpResponseStatus.OK, "ok"));
            assertThat(channel.isOpen()).as(handler.getClass().getSimpleName()).isFalse();
            channel.finishAndReleaseAll();
        }
    }

    // --- the comparison -----------------------------------------------------------------------------------------

    private static void assertSameAsNetty(String message, int maxLine, int maxHeaders) {
        // Each delivery as Netty's codec takes it (a body's pieces follow the reads).
        for (List<Integer> cuts : DecodedMessages.deliveries(message.length())) {
            assertThat(decode(codec(maxLine, maxHeaders), message, cuts))
                    .as("%s cut at %s", message, cuts.size() > 1 ? "every byte" : cuts)
                    .isEqualTo(decode(netty(maxLine, maxHeaders), message, cuts));
        }
    }

    private static HttpDecoderConfig config(int maxLine, int maxHeaders) {
        // As the gateway configures its client codec (GatewayChannelInitializer.httpCodec).
        return new HttpDecoderConfig().setHeadersFactory(TargetRequestHeaders.DECODED)
                .setMaxInitialLineLength(maxLine).setMaxHeaderSize(maxHeaders).setAllowDuplicateContentLengths(false);
    }

    private static ChannelHandler codec(int maxLine, int maxHeaders) {
        return new ClientHttp1Codec(config(maxLine, maxHeaders));
    }

    private static ChannelHandler netty(int maxLine, int maxHeaders) {
        return new HttpServerCodec(config(maxLine, maxHeaders));
    }

    /** What the codec makes of {@code message} delivered in pieces cut at {@code cuts}, one line per message. */
    private static String decode(ChannelHandler codec, String message, List<Integer> cuts) {
        return DecodedMessages.read(new EmbeddedChannel(codec), message, cuts);
    }

    /** The bytes the codec writes for {@code responses} after reading {@code requests}. */
    private static String exchange(ChannelHandler codec, String requests, List<Object> responses) {
        EmbeddedChannel channel = new EmbeddedChannel(codec);
        channel.writeInbound(bytes(requests));
        channel.inboundMessages().forEach(ReferenceCountUtil::release);
        channel.inboundMessages().clear();
        StringBuilder out = new StringBuilder();
        for (Object response : responses) {
            channel.writeOutbound(response);
            for (ByteBuf written; (written = channel.readOutbound()) != null; ) {
                out.append(written.toString(StandardCharsets.ISO_8859_1));
                written.release();
            }
        }
        channel.finishAndReleaseAll();
        return out.toString();
    }

    private static Object response(HttpResponseStatus status, String body) {
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.ISO_8859_1));
        if (status.code() >= 200) {
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length());
        }
        return response;
    }

    private static Object chunkedResponse(HttpResponseStatus status) {
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer("tunnel", StandardCharsets.ISO_8859_1));
        response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        return response;
    }

    private static ByteBuf bytes(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
    }
}
