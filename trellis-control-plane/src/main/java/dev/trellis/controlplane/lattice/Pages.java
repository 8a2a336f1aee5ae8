package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * Pagination of List operations. Items come in a stable order (creation order unless an operation says otherwise);
 * a page holds at most {@code maxResults} (1-100, default {@value #DEFAULT_MAX_RESULTS}) and, when more remain, a
 * {@code nextToken}: the base64url text {@code <operation>:<key of the last item>}. A token that this operation did
 * not issue is ValidationException on {@code nextToken}.
 */
final class Pages {

    /** Lattice does not document its default page size (lattice-facts §10); Trellis uses the maximum. */
    static final int DEFAULT_MAX_RESULTS = 100;
    private static final int STORE_CHUNK = 200;

    private Pages() {
    }

    /** One page of items and the token of the next page (null on the last page). */
    record Page<T>(List<T> items, String nextToken) {
    }

    /**
     * A page of stored resources of {@code kind} under {@code parentId} that pass {@code filter}, in creation order.
     */
    static Page<StoredResource> fromStore(OperationContext ctx, String operation, ObjectNode input, String kind,
                                          String parentId, Predicate<StoredResource> filter) {
        int max = maxResults(input);
        long after = afterKey(operation, input);
        List<StoredResource> matched = new ArrayList<>();
        while (matched.size() <= max) {
            List<StoredResource> chunk = ctx.tx().list(kind, parentId, after, STORE_CHUNK);
            for (StoredResource r : chunk) {
                if (filter.test(r)) {
                    matched.add(r);
                    if (matched.size() > max) {
                        break;
                    }
                }
            }
            if (chunk.size() < STORE_CHUNK) {
                break;
            }
            after = chunk.get(chunk.size() - 1).seq();
        }
        return cut(operation, matched, max, StoredResource::seq);
    }

    /** A page of an in-memory list already sorted by {@code key} (ascending, unique, non-negative). */
    static <T> Page<T> fromSorted(String operation, ObjectNode input, List<T> sorted, ToLongFunction<T> key) {
        int max = maxResults(input);
        long after = afterKey(operation, input);
        List<T> matched = new ArrayList<>();
        for (T item : sorted) {
            if (key.applyAsLong(item) > after) {
                matched.add(item);
                if (matched.size() > max) {
                    break;
                }
            }
        }
        return cut(operation, matched, max, key);
    }

    private static <T> Page<T> cut(String operation, List<T> matched, int max, ToLongFunction<T> key) {
        if (matched.size() <= max) {
            return new Page<>(matched, null);
        }
        List<T> page = new ArrayList<>(matched.subList(0, max));
        return new Page<>(page, token(operation, key.applyAsLong(page.get(page.size() - 1))));
    }

    static int maxResults(ObjectNode input) {
        return input.hasNonNull("maxResults") ? input.get("maxResults").asInt() : DEFAULT_MAX_RESULTS;
    }

    static String token(String operation, long key) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((operation + ":" + key).getBytes(StandardCharsets.UTF_8));
    }

    /** The key after which the page starts: -1 without a token. */
    static long afterKey(String operation, ObjectNode input) {
        if (!input.hasNonNull("nextToken")) {
            return -1;
        }
        String token = input.get("nextToken").asText();
        try {
            String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            String prefix = operation + ":";
            if (text.startsWith(prefix)) {
                long key = Long.parseLong(text.substring(prefix.length()));
                if (key >= 0) {
                    return key;
                }
            }
        } catch (IllegalArgumentException e) {
            // not base64, or not a number: reported below
        }
        throw LatticeErrors.invalid("nextToken", "is not a pagination token issued by " + operation);
    }
}
