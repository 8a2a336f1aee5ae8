package dev.trellis.controlplane.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The XML serialisation traits of a service model that {@link Shape} does not carry: the document namespace, the
 * root element of each operation's input, element names of list members and map entries, and which lists and maps
 * are {@code flattened}. Read once from the committed digest; immutable.
 */
final class XmlTraits {

    private final String namespace;
    private final Map<String, String> inputRoots;
    private final Map<String, String> listMemberNames;
    private final Map<String, String[]> mapEntryNames;
    private final Set<String> flattened;

    private XmlTraits(String namespace, Map<String, String> inputRoots, Map<String, String> listMemberNames,
                      Map<String, String[]> mapEntryNames, Set<String> flattened) {
        this.namespace = namespace;
        this.inputRoots = inputRoots;
        this.listMemberNames = listMemberNames;
        this.mapEntryNames = mapEntryNames;
        this.flattened = flattened;
    }

    static XmlTraits of(JsonNode digest) {
        String namespace = digest.path("metadata").path("xmlNamespace").asText(null);
        Map<String, String> inputRoots = new HashMap<>();
        for (var it = digest.path("operations").fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode input = e.getValue().path("input");
            if (input.has("shape")) {
                inputRoots.put(e.getKey(), input.path("locationName").asText(input.path("shape").asText()));
            }
            if (namespace == null && input.path("xmlNamespace").has("uri")) {
                namespace = input.path("xmlNamespace").path("uri").asText();
            }
        }
        Map<String, String> listMemberNames = new HashMap<>();
        Map<String, String[]> mapEntryNames = new HashMap<>();
        Set<String> flattened = new HashSet<>();
        for (var it = digest.path("shapes").fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode shape = e.getValue();
            if (shape.path("flattened").asBoolean(false)) {
                flattened.add(e.getKey());
            }
            switch (shape.path("type").asText()) {
                case "list" -> listMemberNames.put(e.getKey(), shape.path("member").path("locationName")
                        .asText("member"));
                case "map" -> mapEntryNames.put(e.getKey(), new String[] {
                    shape.path("key").path("locationName").asText("key"),
                    shape.path("value").path("locationName").asText("value")});
                default -> {
                }
            }
        }
        return new XmlTraits(namespace, Map.copyOf(inputRoots), Map.copyOf(listMemberNames),
                Collections.unmodifiableMap(mapEntryNames), Set.copyOf(flattened));
    }

    /** The namespace of request and response documents, or null when the model names none. */
    String namespace() {
        return namespace;
    }

    /** The root element of {@code operation}'s request body ({@code CreateHostedZoneRequest}). */
    String inputRoot(String operation) {
        return inputRoots.get(operation);
    }

    /** The element name of the items of a non-flattened list shape ({@code member} unless the model says). */
    String listMemberName(String listShape) {
        return listMemberNames.getOrDefault(listShape, "member");
    }

    /** The element names of a map's key and value ({@code key}, {@code value} unless the model says). */
    String mapKeyName(String mapShape) {
        String[] names = mapEntryNames.get(mapShape);
        return names == null ? "key" : names[0];
    }

    String mapValueName(String mapShape) {
        String[] names = mapEntryNames.get(mapShape);
        return names == null ? "value" : names[1];
    }

    /** Whether a list or map shape is flattened: its items repeat in place of a wrapper element. */
    boolean flattened(String shape) {
        return flattened.contains(shape);
    }
}
