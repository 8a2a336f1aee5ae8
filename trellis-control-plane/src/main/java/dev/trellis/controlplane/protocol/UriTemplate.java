package dev.trellis.controlplane.protocol;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request URI template of a REST model ({@code /services/{serviceIdentifier}/listeners}, {@code /{Key+}},
 * {@code /2013-04-01/hostedzone/{Id}?rrset}). Labels match one path segment (percent-decoded), greedy labels
 * ({@code +}) the rest of the path; literal query parameters of the template must be present in the request.
 */
public final class UriTemplate {

    private final String text;
    private final List<String> segments;
    private final List<String> requiredQuery;

    private UriTemplate(String text, List<String> segments, List<String> requiredQuery) {
        this.text = text;
        this.segments = segments;
        this.requiredQuery = requiredQuery;
    }

    public static UriTemplate parse(String text) {
        String path = text;
        List<String> query = new ArrayList<>();
        int q = text.indexOf('?');
        if (q >= 0) {
            path = text.substring(0, q);
            for (String part : text.substring(q + 1).split("&")) {
                if (!part.isEmpty()) {
                    int eq = part.indexOf('=');
                    query.add(eq < 0 ? part : part.substring(0, eq));
                }
            }
        }
        return new UriTemplate(text, splitPath(path), List.copyOf(query));
    }

    /** Literal segments count: the router prefers the template with more of them when two match. */
    int literalSegments() {
        return (int) segments.stream().filter(s -> !s.startsWith("{")).count();
    }

    int requiredQueryCount() {
        return requiredQuery.size();
    }

    /**
     * Matches a raw (still percent-encoded) request path; returns the decoded label values, or null when the path
     * does not fit this template or a required query parameter is missing.
     */
    public Map<String, String> match(String rawPath, Map<String, List<String>> query) {
        for (String name : requiredQuery) {
            if (!query.containsKey(name)) {
                return null;
            }
        }
        List<String> actual = splitPath(rawPath);
        Map<String, String> labels = new LinkedHashMap<>();
        int i = 0;
        for (; i < segments.size(); i++) {
            String expected = segments.get(i);
            if (expected.startsWith("{") && expected.endsWith("+}")) {
                if (i >= actual.size()) {
                    return null;
                }
                List<String> rest = new ArrayList<>();
                for (String segment : actual.subList(i, actual.size())) {
                    rest.add(decode(segment));
                }
                labels.put(expected.substring(1, expected.length() - 2), String.join("/", rest));
                return labels;
            }
            if (i >= actual.size()) {
                return null;
            }
            String segment = actual.get(i);
            if (expected.startsWith("{")) {
                if (segment.isEmpty()) {
                    return null;
                }
                labels.put(expected.substring(1, expected.length() - 1), decode(segment));
            } else if (!expected.equals(segment)) {
                return null;
            }
        }
        return i == actual.size() ? labels : null;
    }

    private static List<String> splitPath(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/", -1)) {
            parts.add(part);
        }
        // "/a/b" splits to ["", "a", "b"]; a trailing slash leaves a final "" that the template must not need.
        if (!parts.isEmpty() && parts.get(0).isEmpty()) {
            parts.remove(0);
        }
        if (!parts.isEmpty() && parts.get(parts.size() - 1).isEmpty()) {
            parts.remove(parts.size() - 1);
        }
        return parts;
    }

    private static String decode(String segment) {
        // Paths decode '+' as itself, unlike form encoding.
        return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return text;
    }
}
