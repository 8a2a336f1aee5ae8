package dev.trellis.controlplane.protocol;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An HTTP request as the API layer sees it, independent of the server that received it: method, raw (still
 * percent-encoded) path and query, decoded query parameters, headers with case-insensitive names, and the body.
 */
public record ApiRequest(
        String method,
        String rawPath,
        String rawQuery,
        Map<String, List<String>> query,
        TreeMap<String, List<String>> headers,
        byte[] body) {

    /** The first value of a header, or null. */
    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** A header map ordered with case-insensitive names, as HTTP wants them. */
    public static TreeMap<String, List<String>> newHeaderMap() {
        return new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    }
}
