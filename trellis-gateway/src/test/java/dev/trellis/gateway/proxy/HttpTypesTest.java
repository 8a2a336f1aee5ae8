package dev.trellis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link HttpTypes} answers as {@code instanceof} does, for the classes it lists and for others. */
class HttpTypesTest {

    @Test
    void everyTestAgreesWithInstanceofForListedAndUnlistedClasses() {
        List<Object> messages = List.of(
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"),
                new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"),
                new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK),
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK),
                new DefaultHttpContent(Unpooled.EMPTY_BUFFER),
                new DefaultLastHttpContent(),
                LastHttpContent.EMPTY_LAST_CONTENT,
                // Not listed: decided by instanceof.
                new DefaultLastHttpContent() { },
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK) { },
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/") { },
                Unpooled.EMPTY_BUFFER,
                "not a message");

        for (Object msg : messages) {
            assertThat(HttpTypes.isRequest(msg)).as("isRequest %s", msg.getClass()).isEqualTo(msg instanceof HttpRequest);
            assertThat(HttpTypes.isResponse(msg)).as("isResponse %s", msg.getClass())
                    .isEqualTo(msg instanceof HttpResponse);
            assertThat(HttpTypes.isContent(msg)).as("isContent %s", msg.getClass()).isEqualTo(msg instanceof HttpContent);
            assertThat(HttpTypes.isLast(msg)).as("isLast %s", msg.getClass()).isEqualTo(msg instanceof LastHttpContent);
            assertThat(HttpTypes.isFullRequest(msg)).as("isFullRequest %s", msg.getClass())
                    .isEqualTo(msg instanceof FullHttpRequest);
            assertThat(HttpTypes.isFullResponse(msg)).as("isFullResponse %s", msg.getClass())
                    .isEqualTo(msg instanceof FullHttpResponse);
        }
    }
}
