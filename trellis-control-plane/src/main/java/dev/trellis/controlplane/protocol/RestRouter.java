package dev.trellis.controlplane.protocol;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Finds the operation of a REST service model that a request addresses, by method and path template.
 * When several templates match, the one with the most literal segments (then the most required query
 * parameters) wins, as {@code /services/{id}/listeners} must beat {@code /services/{id}}.
 */
public final class RestRouter {

    /** A routed request: the operation and its decoded URI labels. */
    public record Route(OperationModel operation, Map<String, String> labels) {
    }

    private final List<OperationModel> operations;

    public RestRouter(ServiceModel model) {
        List<OperationModel> sorted = new ArrayList<>(model.operations());
        sorted.sort(Comparator.comparingInt((OperationModel op) -> op.uri().literalSegments())
                .thenComparingInt(op -> op.uri().requiredQueryCount())
                .reversed());
        this.operations = List.copyOf(sorted);
    }

    /** The route of this request, or null when no operation has this method and path. */
    public Route route(String method, String rawPath, Map<String, List<String>> query) {
        for (OperationModel op : operations) {
            if (!op.method().equals(method)) {
                continue;
            }
            Map<String, String> labels = op.uri().match(rawPath, query);
            if (labels != null) {
                return new Route(op, labels);
            }
        }
        return null;
    }
}
