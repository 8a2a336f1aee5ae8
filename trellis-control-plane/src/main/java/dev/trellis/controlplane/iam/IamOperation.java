package dev.trellis.controlplane.iam;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One IAM API operation: takes its validated input document (members named as the model names them) and returns
 * its output document (null for operations without output), or throws an
 * {@link dev.trellis.controlplane.protocol.ApiException}.
 */
@FunctionalInterface
interface IamOperation {

    ObjectNode execute(IamContext context, ObjectNode input);
}
