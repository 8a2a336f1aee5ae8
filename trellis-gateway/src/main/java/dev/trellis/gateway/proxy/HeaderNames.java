package dev.trellis.gateway.proxy;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Finding and removing headers by name on the request path, without copying names. */
public final class HeaderNames {

    private static final AsciiString HTTP2_CONVERSION_PREFIX = AsciiString.cached("x-http2-");

    private HeaderNames() {
    }

    /**
     * Whether {@code name} is one of the {@code x-http2-*} headers Netty's HTTP/2-to-HTTP/1.1 conversion adds
     * (stream id, scheme, path): never from a client, never to pass on.
     */
    public static boolean isHttp2Conversion(CharSequence name) {
        return startsWithIgnoreCase(name, HTTP2_CONVERSION_PREFIX);
    }

    /**
     * Removes every header whose name {@code doomed} matches, in one walk over the names as they are stored
     * ({@code headers.names()} would copy each into a String in a new set). Names are collected only once one
     * matches: a head with nothing to remove costs no allocation.
     */
    public static void removeIf(HttpHeaders headers, Predicate<CharSequence> doomed) {
        List<CharSequence> names = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (doomed.test(name)) {
                if (names == null) {
                    names = new ArrayList<>(2);
                }
                names.add(name);
            }
        }
        if (names != null) {
            for (CharSequence name : names) {
                headers.remove(name);
            }
        }
    }

    /** Whether {@code name} starts with {@code prefix}, in any case, without copying either. */
    public static boolean startsWithIgnoreCase(CharSequence name, AsciiString prefix) {
        return name.length() >= prefix.length()
                && AsciiString.regionMatches(name, true, 0, prefix, 0, prefix.length());
    }
}
