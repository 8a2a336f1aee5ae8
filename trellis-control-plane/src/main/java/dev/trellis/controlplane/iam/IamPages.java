package dev.trellis.controlplane.iam;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Predicate;

/**
 * Pagination of IAM List operations: pages of at most {@code MaxItems} (1-1000, default {@value #DEFAULT_MAX_ITEMS})
 * in a stable order (creation order), {@code IsTruncated} and, when more remain, a {@code Marker}: the base64url text
 * {@code <operation>:<position of the last item>}. A marker this operation did not issue is {@code ValidationError}.
 */
final class IamPages {

    static final int DEFAULT_MAX_ITEMS = 100;
    private static final int STORE_CHUNK = 200;

    private IamPages() {
    }

    /** One page and the marker of the next (null on the last page). */
    record Page<T>(List<T> items, String marker) {
    }

    /** A page of stored resources of {@code kind} (children of {@code parentId} when not null) passing a filter. */
    static Page<StoredResource> fromStore(IamContext ctx, String operation, ObjectNode input, String kind,
                                          String parentId, Predicate<StoredResource> filter) {
        int max = maxItems(input);
        long after = position(operation, input);
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
        if (matched.size() <= max) {
            return new Page<>(matched, null);
        }
        List<StoredResource> page = new ArrayList<>(matched.subList(0, max));
        return new Page<>(page, marker(operation, page.get(page.size() - 1).seq()));
    }

    /** A page of an in-memory list (names of inline policies, tags, attached policies), by index. */
    static <T> Page<T> fromList(String operation, ObjectNode input, List<T> items) {
        int max = maxItems(input);
        int start = (int) Math.min(Integer.MAX_VALUE, position(operation, input) + 1);
        if (start >= items.size()) {
            return new Page<>(List.of(), null);
        }
        int end = Math.min(items.size(), start + max);
        return new Page<>(new ArrayList<>(items.subList(start, end)),
                end < items.size() ? marker(operation, end - 1) : null);
    }

    /** Puts {@code IsTruncated} and, when truncated, {@code Marker} on a List output. */
    static void finish(ObjectNode output, Page<?> page) {
        output.put("IsTruncated", page.marker() != null);
        if (page.marker() != null) {
            output.put("Marker", page.marker());
        }
    }

    private static int maxItems(ObjectNode input) {
        return input.hasNonNull("MaxItems") ? input.get("MaxItems").asInt() : DEFAULT_MAX_ITEMS;
    }

    private static String marker(String operation, long position) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((operation + ":" + position).getBytes(StandardCharsets.UTF_8));
    }

    /** The position after which the page starts: -1 without a marker. */
    private static long position(String operation, ObjectNode input) {
        if (!input.hasNonNull("Marker")) {
            return -1;
        }
        try {
            String text = new String(Base64.getUrlDecoder().decode(input.get("Marker").asText()),
                    StandardCharsets.UTF_8);
            String prefix = operation + ":";
            if (text.startsWith(prefix)) {
                long position = Long.parseLong(text.substring(prefix.length()));
                if (position >= 0) {
                    return position;
                }
            }
        } catch (IllegalArgumentException e) {
            // not base64, or not a number: reported below
        }
        throw IamErrors.validation("1 validation error detected: Marker: is not a marker issued by " + operation);
    }
}
