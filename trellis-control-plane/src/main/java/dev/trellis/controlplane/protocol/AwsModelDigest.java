package dev.trellis.controlplane.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * Reduces an AWS service model (the botocore JSON form) to its wire facts: operations with their HTTP bindings,
 * shapes with their members, locations and constraints. Documentation text is dropped, so what Trellis ships is the
 * interface, not the prose. The committed digests under {@code resources/dev/trellis/controlplane/models} are made
 * with {@link #main}; a test keeps them equal to the reference models.
 */
public final class AwsModelDigest {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AwsModelDigest() {
    }

    /** Returns a copy of {@code model} without documentation. */
    public static JsonNode digest(JsonNode model) {
        JsonNode copy = model.deepCopy();
        strip(copy);
        return copy;
    }

    private static void strip(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.remove("documentation");
            object.remove("documentationUrl");
            object.remove("deprecatedMessage");
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                strip(it.next().getValue());
            }
        } else if (node instanceof ArrayNode array) {
            array.forEach(AwsModelDigest::strip);
        }
    }

    /** {@code AwsModelDigest <botocore model.json> <digest.json>}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: AwsModelDigest <model.json> <digest.json>");
            System.exit(2);
        }
        JsonNode model = JSON.readTree(Files.readString(Path.of(args[0])));
        Files.writeString(Path.of(args[1]), JSON.writeValueAsString(digest(model)) + "\n");
    }
}
