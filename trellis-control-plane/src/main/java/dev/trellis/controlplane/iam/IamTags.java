package dev.trellis.controlplane.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Tags of IAM entities, kept in the document's {@code Tags} list as the model returns it. Keys are unique regardless
 * of case (a tag whose key differs only in case replaces the old one), the {@code aws:} prefix is reserved, and an
 * entity holds at most {@value #MAX_TAGS} tags.
 */
final class IamTags {

    static final int MAX_TAGS = 50;

    private IamTags() {
    }

    /** Checks the tags of one call: no duplicate keys, no {@code aws:} keys. */
    static void validate(JsonNode tags) {
        if (tags == null) {
            return;
        }
        Set<String> seen = new HashSet<>();
        for (JsonNode tag : tags) {
            String key = tag.path("Key").asText();
            if (!seen.add(key.toLowerCase(Locale.ROOT))) {
                throw IamErrors.invalidInput("Duplicate tag keys found. Please note that Tag keys are case"
                        + " insensitive.");
            }
            if (key.toLowerCase(Locale.ROOT).startsWith("aws:")) {
                throw IamErrors.invalidInput("The tag key '" + key + "' uses the prefix 'aws:', which is reserved"
                        + " for AWS use.");
            }
        }
    }

    /** Adds or replaces {@code tags} on {@code document}; {@code quotaName} names the limit in the error. */
    static void apply(ObjectNode document, JsonNode tags, String quotaName) {
        if (tags == null || tags.isEmpty()) {
            return;
        }
        validate(tags);
        ArrayNode existing = document.has("Tags") ? (ArrayNode) document.get("Tags") : document.putArray("Tags");
        for (JsonNode tag : tags) {
            String key = tag.path("Key").asText();
            boolean replaced = false;
            for (int i = 0; i < existing.size(); i++) {
                if (existing.get(i).path("Key").asText().equalsIgnoreCase(key)) {
                    existing.set(i, tag.deepCopy());
                    replaced = true;
                    break;
                }
            }
            if (!replaced) {
                existing.add(tag.deepCopy());
            }
        }
        if (existing.size() > MAX_TAGS) {
            throw IamErrors.quota(quotaName, MAX_TAGS);
        }
    }

    /** Removes the tags with these keys (ignoring case); keys the entity does not have are ignored, as in IAM. */
    static void remove(ObjectNode document, JsonNode keys) {
        if (!(document.get("Tags") instanceof ArrayNode existing)) {
            return;
        }
        for (JsonNode key : keys) {
            for (int i = existing.size() - 1; i >= 0; i--) {
                if (existing.get(i).path("Key").asText().equalsIgnoreCase(key.asText())) {
                    existing.remove(i);
                }
            }
        }
        if (existing.isEmpty()) {
            document.remove("Tags");
        }
    }
}
