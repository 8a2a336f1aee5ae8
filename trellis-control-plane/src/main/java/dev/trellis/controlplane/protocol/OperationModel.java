package dev.trellis.controlplane.protocol;

/**
 * An operation of a REST-protocol service model: its HTTP binding, input and output shapes and success status.
 */
public record OperationModel(
        String name,
        String method,
        UriTemplate uri,
        int successStatus,
        String inputShape,
        String outputShape) {

    @Override
    public String toString() {
        return name + " " + method + " " + uri;
    }
}
