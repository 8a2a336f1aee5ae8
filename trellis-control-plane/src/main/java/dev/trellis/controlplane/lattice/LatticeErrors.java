package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.protocol.ApiException;

/** The VPC Lattice errors operations raise, with the members the model gives each exception. */
final class LatticeErrors {

    /** The {@code serviceCode} of ServiceQuotaExceededException. */
    static final String SERVICE_CODE = "vpc-lattice";

    private LatticeErrors() {
    }

    static ApiException notFound(ResourceKind kind, String identifier) {
        return notFound(kind.errorType(), identifier, kind.displayName() + " '" + identifier + "' was not found");
    }

    static ApiException notFound(String resourceType, String resourceId, String message) {
        ObjectNode members = JsonNodeFactory.instance.objectNode();
        members.put("resourceId", resourceId);
        members.put("resourceType", resourceType);
        return new ApiException("ResourceNotFoundException", 404, message, members);
    }

    static ApiException conflict(ResourceKind kind, String resourceId, String message) {
        return conflict(kind.errorType(), resourceId, message);
    }

    static ApiException conflict(String resourceType, String resourceId, String message) {
        ObjectNode members = JsonNodeFactory.instance.objectNode();
        members.put("resourceId", resourceId);
        members.put("resourceType", resourceType);
        return new ApiException("ConflictException", 409, message, members);
    }

    /** ServiceQuotaExceededException (402) with the quota's code (lattice-facts §8). */
    static ApiException quotaExceeded(ResourceKind kind, String resourceId, String quotaCode, String message) {
        ObjectNode members = JsonNodeFactory.instance.objectNode();
        if (resourceId != null) {
            members.put("resourceId", resourceId);
        }
        members.put("resourceType", kind.errorType());
        members.put("serviceCode", SERVICE_CODE);
        members.put("quotaCode", quotaCode);
        return new ApiException("ServiceQuotaExceededException", 402, message, members);
    }

    static ApiException invalid(String field, String message) {
        return ApiException.invalidField(field, message);
    }
}
