package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One VPC Lattice API operation: takes its validated input document (members named as the model names them) and
 * returns its output document, or throws an {@link dev.trellis.controlplane.protocol.ApiException}.
 */
@FunctionalInterface
public interface LatticeOperation {

    ObjectNode execute(OperationContext context, ObjectNode input);
}
