package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Tags of a resource, kept in its document under {@code _tags}. The model checks key (1-128) and value (0-256)
 * lengths and at most 200 tags per call; here: the {@code aws:} prefix is reserved for AWS, and a resource holds at
 * most {@value #MAX_TAGS} tags in all.
 */
final class Tags {

    static final String FIELD = "_tags";
    static final int MAX_TAGS = 200;

    private Tags() {
    }

    /** Checks the tags of a Create* or TagResource call ({@code field} is the member name for errors). */
    static void validate(JsonNode tags, String field) {
        if (tags == null || tags.isNull()) {
            return;
        }
        for (Iterator<String> keys = tags.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (key.toLowerCase(Locale.ROOT).startsWith("aws:")) {
                throw LatticeErrors.invalid(field, "tag key '" + key + "' uses the prefix 'aws:', which is"
                        + " reserved for AWS");
            }
        }
    }

    /** Adds (or overwrites) {@code tags} on {@code document}. */
    static void apply(ObjectNode document, JsonNode tags, String field) {
        if (tags == null || tags.isNull() || tags.isEmpty()) {
            return;
        }
        validate(tags, field);
        ObjectNode current = document.has(FIELD) ? (ObjectNode) document.get(FIELD) : document.putObject(FIELD);
        for (Iterator<Map.Entry<String, JsonNode>> it = tags.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            current.put(e.getKey(), e.getValue().asText());
        }
        if (current.size() > MAX_TAGS) {
            throw LatticeErrors.invalid(field, "a resource can have at most " + MAX_TAGS + " tags; this would make "
                    + current.size());
        }
    }

    static ObjectNode of(JsonNode document) {
        return document.has(FIELD) ? ((ObjectNode) document.get(FIELD)).deepCopy() : Documents.object();
    }
}
