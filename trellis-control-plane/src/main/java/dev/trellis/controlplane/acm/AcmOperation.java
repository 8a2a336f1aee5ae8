package dev.trellis.controlplane.acm;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One ACM operation: its validated input document in, its output document out (or an ApiException). */
@FunctionalInterface
interface AcmOperation {

    ObjectNode execute(AcmContext context, ObjectNode input);
}
