package dev.trellis.model.snapshot;

import java.util.List;
import java.util.Objects;

/**
 * A rule's conditions ({@code match.httpMatch} of the Lattice API); all given conditions must hold.
 *
 * @param method exact, case-sensitive HTTP method, or null for any
 * @param path the path condition, or null for any
 * @param headers up to five header conditions
 */
public record HttpMatch(String method, PathMatch path, List<HeaderMatch> headers) {

    public HttpMatch {
        headers = headers == null ? List.of() : List.copyOf(headers);
        if (headers.size() > 5) {
            throw new IllegalArgumentException("a rule has at most 5 header matches, not " + headers.size());
        }
    }

    /** Matches the path exactly or by prefix, case-sensitively or not. */
    public record PathMatch(String value, boolean prefix, boolean caseSensitive) {
        public PathMatch {
            Objects.requireNonNull(value, "value");
        }
    }

    /** How a header value is compared. */
    public enum HeaderMatchType { EXACT, PREFIX, CONTAINS }

    /** A header condition; names compare case-insensitively, values as {@code caseSensitive} says. */
    public record HeaderMatch(String name, HeaderMatchType type, String value, boolean caseSensitive) {
        public HeaderMatch {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(value, "value");
        }
    }
}
