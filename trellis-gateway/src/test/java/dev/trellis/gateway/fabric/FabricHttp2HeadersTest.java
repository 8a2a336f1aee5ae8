package dev.trellis.gateway.fabric;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The fabric's own HTTP/1 ↔ HTTP/2 header conversion ({@link FabricHttp2}), which replaced Netty's
 * {@code Http2StreamFrameToHttpObjectCodec}: what HTTP/2 forbids is left out, names are lower-cased, Host and
 * {@code :authority} map to each other, Cookie crumbs are joined (RFC 9113 §8.2.3), and a client's forged fabric
 * headers never reach the wire. The forwarding itself is covered end to end by {@link FabricForwardingTest}.
 */
class FabricHttp2HeadersTest {

    @Test
    void aRequestHeadLosesConnectionSpecificAndForgedFabricHeadersAndKeepsTheRest() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/orders?id=7");
        request.headers()
                .add("Host", "datastore.example")
                .add("Connection", "keep-alive")
                .add("Keep-Alive", "timeout=5")
                .add("Transfer-Encoding", "chunked")
                .add("Upgrade", "h2c")
                .add("TE", "trailers")
                .add("X-Trellis-Fabric-Caller-Arn", "arn:aws:iam::999999999999:root")
                .add("X-Custom", "a")
                .add("x-custom", "b");

        Http2Headers out = FabricHttp2.toHttp2(request, true);

        assertThat(out.method().toString()).isEqualTo("POST");
        assertThat(out.path().toString()).isEqualTo("/orders?id=7");
        assertThat(out.scheme().toString()).isEqualTo("https");
        assertThat(out.authority().toString()).isEqualTo("datastore.example");
        assertThat(names(out)).containsExactly(":method", ":path", ":scheme", ":authority", "te", "x-custom",
                "x-custom");
        assertThat(out.getAll("x-custom")).extracting(CharSequence::toString).containsExactly("a", "b");
    }

    @Test
    void teOtherThanTrailersIsDroppedAndFabricHeadersSurviveWhenNotDropped() {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY);
        response.headers().add("TE", "gzip").add("X-Trellis-Fabric-Error", "UnknownTargetGroup");

        Http2Headers out = FabricHttp2.toHttp2(response, false);

        assertThat(out.status().toString()).isEqualTo("502");
        assertThat(names(out)).containsExactly(":status", "x-trellis-fabric-error");
    }

    @Test
    void aRequestFromThePeerGetsHostFromAuthorityAndOneJoinedCookie() {
        Http2Headers in = new DefaultHttp2Headers()
                .method("GET").path("/a").scheme("https").authority("datastore.example");
        in.add("cookie", "a=1").add("accept", "*/*").add("cookie", "b=2").add("cookie", "c=3");

        HttpRequest head = FabricHttp2.toRequest(in, false);

        assertThat(head).isNotInstanceOf(FullHttpRequest.class);
        assertThat(head.method()).isEqualTo(HttpMethod.GET);
        assertThat(head.uri()).isEqualTo("/a");
        assertThat(head.headers().get("host")).isEqualTo("datastore.example");
        assertThat(head.headers().getAll("cookie")).containsExactly("a=1; b=2; c=3");
        assertThat(head.headers().names()).noneMatch(name -> name.startsWith(":"));
        assertThat(FabricHttp2.toRequest(in, true)).isInstanceOf(FullHttpRequest.class);
    }

    @Test
    void headsWithoutTheirPseudoHeadersAreRefusedAndInformationalOnesSkipped() {
        assertThat(FabricHttp2.toRequest(new DefaultHttp2Headers().method("GET"), true)).isNull();
        assertThat(FabricHttp2.toResponse(new DefaultHttp2Headers(), true)).isNull();
        assertThat(FabricHttp2.toResponse(new DefaultHttp2Headers(false).status("abc"), true)).isNull();
        assertThat(FabricHttp2.toResponse(new DefaultHttp2Headers().status("103"), false))
                .isSameAs(FabricHttp2.INFORMATIONAL);

        HttpResponse ended = FabricHttp2.toResponse(new DefaultHttp2Headers().status("204"), true);
        assertThat(ended).isInstanceOf(FullHttpResponse.class);
        assertThat(ended.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
    }

    private static List<String> names(Http2Headers headers) {
        List<String> names = new ArrayList<>();
        for (Map.Entry<CharSequence, CharSequence> header : headers) {
            names.add(header.getKey().toString());
        }
        return names;
    }
}
