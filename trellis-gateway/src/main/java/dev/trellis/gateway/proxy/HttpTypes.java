package dev.trellis.gateway.proxy;

import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * What kind of HTTP message an object is, for the handlers every request passes: by its exact class first, by
 * {@code instanceof} only for a class not listed here.
 *
 * <p>Why not {@code instanceof} alone: on JDK 17 a test against an interface that is not found in the class's
 * one-entry cache scans the class's list of interfaces, and a successful scan overwrites the cache. The codecs'
 * messages are tested against {@code HttpRequest}, {@code HttpContent}, {@code LastHttpContent} and Netty's own
 * interfaces in turn, so most tests miss: a small response's head and end, tested as the gateway tested them, took
 * 105 ns per message, and 18 ns this way ({@code MessageTypeBenchmark}; JDK 23 replaced the cache with a table).
 * The messages on the request path are of the few classes below.
 */
public final class HttpTypes {

    private static final int UNLISTED = -1;
    private static final int REQUEST = 1;
    private static final int RESPONSE = 2;
    private static final int CONTENT = 4;
    private static final int LAST = 8;

    private static final Class<?> EMPTY_LAST = LastHttpContent.EMPTY_LAST_CONTENT.getClass();

    private HttpTypes() {
    }

    private static int kind(Object msg) {
        Class<?> type = msg.getClass();
        if (type == DefaultHttpRequest.class) {
            return REQUEST;
        }
        if (type == EMPTY_LAST || type == DefaultLastHttpContent.class) {
            return CONTENT | LAST;
        }
        if (type == DefaultHttpResponse.class) {
            return RESPONSE;
        }
        if (type == DefaultHttpContent.class) {
            return CONTENT;
        }
        if (type == DefaultFullHttpRequest.class) {
            return REQUEST | CONTENT | LAST;
        }
        if (type == DefaultFullHttpResponse.class) {
            return RESPONSE | CONTENT | LAST;
        }
        return UNLISTED;
    }

    /** {@code msg instanceof HttpRequest}. */
    public static boolean isRequest(Object msg) {
        return is(msg, REQUEST, HttpRequest.class);
    }

    /** {@code msg instanceof HttpResponse}. */
    public static boolean isResponse(Object msg) {
        return is(msg, RESPONSE, HttpResponse.class);
    }

    /** {@code msg instanceof HttpContent}. */
    public static boolean isContent(Object msg) {
        return is(msg, CONTENT, HttpContent.class);
    }

    /** {@code msg instanceof LastHttpContent}. */
    public static boolean isLast(Object msg) {
        return is(msg, LAST, LastHttpContent.class);
    }

    /** {@code msg instanceof FullHttpRequest}. */
    public static boolean isFullRequest(Object msg) {
        return is(msg, REQUEST | LAST, FullHttpRequest.class);
    }

    /** {@code msg instanceof FullHttpResponse}. */
    public static boolean isFullResponse(Object msg) {
        return is(msg, RESPONSE | LAST, FullHttpResponse.class);
    }

    /** Whether a listed class has all of {@code kinds}; for another class, whether it is a {@code type}. */
    private static boolean is(Object msg, int kinds, Class<?> type) {
        int kind = kind(msg);
        return kind == UNLISTED ? type.isInstance(msg) : (kind & kinds) == kinds;
    }
}
