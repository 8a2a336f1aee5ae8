package dev.trellis.auth.sigv4;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A mutable copy of a received request, for tampering with it after it was signed. */
final class RequestEdit {

    String method;
    String path;
    String query;
    final List<Map.Entry<String, String>> headers = new ArrayList<>();
    byte[] body;

    static RequestEdit of(SignedRequest request, byte[] body) {
        RequestEdit edit = new RequestEdit();
        edit.method = request.method();
        edit.path = request.rawPath();
        edit.query = request.rawQuery();
        for (int i = 0; i < request.headerCount(); i++) {
            edit.headers.add(new AbstractMap.SimpleEntry<>(request.headerName(i), request.headerValue(i)));
        }
        edit.body = body;
        return edit;
    }

    RequestEdit method(String value) {
        method = value;
        return this;
    }

    RequestEdit path(String value) {
        path = value;
        return this;
    }

    RequestEdit query(String value) {
        query = value;
        return this;
    }

    /** Replaces the query parameter {@code name=...} (raw text) by {@code name=value}. */
    RequestEdit queryParam(String name, String rawValue) {
        List<String> out = new ArrayList<>();
        for (String pair : query.split("&")) {
            out.add(pair.startsWith(name + "=") ? name + "=" + rawValue : pair);
        }
        query = String.join("&", out);
        return this;
    }

    RequestEdit removeQueryParam(String name) {
        List<String> out = new ArrayList<>();
        for (String pair : query.split("&")) {
            if (!pair.startsWith(name + "=")) {
                out.add(pair);
            }
        }
        query = String.join("&", out);
        return this;
    }

    /** Sets every field of this header to one value (adds it when absent). */
    RequestEdit header(String name, String value) {
        removeHeader(name);
        headers.add(new AbstractMap.SimpleEntry<>(name, value));
        return this;
    }

    RequestEdit addHeader(String name, String value) {
        headers.add(new AbstractMap.SimpleEntry<>(name, value));
        return this;
    }

    RequestEdit removeHeader(String name) {
        headers.removeIf(h -> h.getKey().equalsIgnoreCase(name));
        return this;
    }

    /** Rewrites the Authorization header with a text replacement. */
    RequestEdit authorization(String from, String to) {
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase("authorization")) {
                h.setValue(h.getValue().replace(from, to));
            }
        }
        return this;
    }

    RequestEdit body(String value) {
        body = value.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    RequestEdit bodyNotRead() {
        body = null;
        return this;
    }

    SignedRequest build() {
        SignedRequest.Builder builder = SignedRequest.builder(method, path, query);
        headers.forEach(h -> builder.header(h.getKey(), h.getValue()));
        return body == null ? builder.bodyNotRead().build() : builder.body(body).build();
    }
}
