package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.protocol.ServiceModel;
import dev.trellis.controlplane.protocol.Shape;

/**
 * Renders stored documents as output structures of the model: copies the members the output shape has and nothing
 * else, so bookkeeping fields and members another operation returns never leak.
 */
final class OutputShapes {

    private final ServiceModel model;

    OutputShapes(ServiceModel model) {
        this.model = model;
    }

    /** The members of {@code shapeName} that {@code document} has, copied. */
    ObjectNode project(String shapeName, JsonNode document) {
        Shape shape = model.shape(shapeName);
        ObjectNode out = Documents.object();
        for (String member : shape.members().keySet()) {
            if (Documents.has(document, member)) {
                out.set(member, document.get(member).deepCopy());
            }
        }
        return out;
    }
}
