package dev.trellis.auth.sigv4;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A request written as HTTP/1.1 text, as in the SigV4 test suite's {@code request.txt} / {@code .req} /
 * {@code .sreq} files.
 *
 * <p>The files are not always valid HTTP: request targets contain spaces and raw UTF-8, so the target is
 * everything between the first space and the last {@code " HTTP/"}. Continuation lines (obs-fold) are where the two
 * suites disagree: aws-c-auth unfolds them into the previous value with a space ({@code value1 value2 value3}, RFC
 * 7230 3.2.4, what Netty does), the classic suite treats each as one more value of the same header
 * ({@code value1,value2,value3}).
 */
record HttpRequestText(String method, String target, List<Map.Entry<String, String>> headers, byte[] body) {

    enum Continuation {
        /** Append the continuation to the previous value, separated by a space (aws-c-auth). */
        FOLD_INTO_VALUE,
        /** Each continuation line is another value of the same header (the classic AWS suite). */
        SEPARATE_VALUE
    }

    static HttpRequestText parse(byte[] bytes, Continuation continuation) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int lineEnd = text.indexOf('\n');
        String requestLine = lineEnd < 0 ? text : text.substring(0, lineEnd);
        int firstSpace = requestLine.indexOf(' ');
        int version = requestLine.lastIndexOf(" HTTP/");
        String method = requestLine.substring(0, firstSpace);
        String target = requestLine.substring(firstSpace + 1, version);

        List<Map.Entry<String, String>> headers = new ArrayList<>();
        int pos = lineEnd < 0 ? text.length() : lineEnd + 1;
        byte[] body = new byte[0];
        while (pos < text.length()) {
            int end = text.indexOf('\n', pos);
            String line = end < 0 ? text.substring(pos) : text.substring(pos, end);
            int next = end < 0 ? text.length() : end + 1;
            if (line.isEmpty()) {
                body = text.substring(next).getBytes(StandardCharsets.ISO_8859_1);
                break;
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                Map.Entry<String, String> previous = headers.remove(headers.size() - 1);
                String continued = line.strip();
                if (continuation == Continuation.FOLD_INTO_VALUE) {
                    headers.add(Map.entry(previous.getKey(), previous.getValue() + " " + continued));
                } else {
                    headers.add(previous);
                    headers.add(Map.entry(previous.getKey(), continued));
                }
            } else {
                int colon = line.indexOf(':');
                headers.add(Map.entry(line.substring(0, colon), line.substring(colon + 1)));
            }
            pos = next;
        }
        return new HttpRequestText(method, target, List.copyOf(headers), body);
    }

    /** The request as the verifier sees it; the body bytes are known. */
    SignedRequest toSignedRequest() {
        SignedRequest.Builder builder = SignedRequest.builder(method, target);
        for (Map.Entry<String, String> header : headers) {
            builder.header(header.getKey(), header.getValue());
        }
        return builder.body(body).build();
    }
}
