package dev.trellis.controlplane.route53;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One Route 53 API operation: takes its validated input document (members named as the model names them) and
 * returns its output document, or throws an {@link dev.trellis.controlplane.protocol.ApiException}.
 */
@FunctionalInterface
interface Route53Operation {

    ObjectNode execute(Route53Context context, ObjectNode input);
}
