package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * Small functions over the JSON documents the store keeps. A resource's document uses the model's member names
 * (what Get returns); fields that start with {@code _} are Trellis's own bookkeeping and never leave the store.
 */
final class Documents {

    private Documents() {
    }

    static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    static ArrayNode array() {
        return JsonNodeFactory.instance.arrayNode();
    }

    /** The current time as the API writes timestamps: ISO-8601 UTC with milliseconds. */
    static String now(OperationContext ctx) {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.now(ctx.clock()).truncatedTo(ChronoUnit.MILLIS));
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    static boolean has(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && !value.isNull();
    }

    /** A copy of {@code source} with only the fields named. */
    static ObjectNode pick(JsonNode source, String... fields) {
        ObjectNode out = object();
        for (String field : fields) {
            if (has(source, field)) {
                out.set(field, source.get(field).deepCopy());
            }
        }
        return out;
    }
}
