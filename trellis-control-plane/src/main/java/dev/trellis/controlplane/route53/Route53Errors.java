package dev.trellis.controlplane.route53;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.protocol.ApiException;
import java.util.List;

/**
 * Route 53's errors, with the codes and HTTP statuses of its model (400 where the model gives none) and, where a
 * real message is known, Route 53's wording.
 */
final class Route53Errors {

    private Route53Errors() {
    }

    static ApiException invalidInput(String message) {
        return new ApiException("InvalidInput", 400, message);
    }

    static ApiException invalidDomainName(String message) {
        return new ApiException("InvalidDomainName", 400, message);
    }

    static ApiException noSuchHostedZone(String id) {
        return new ApiException("NoSuchHostedZone", 404, "No hosted zone found with ID: " + id);
    }

    static ApiException noSuchChange(String id) {
        return new ApiException("NoSuchChange", 404, "A change with the specified change ID does not exist: " + id);
    }

    static ApiException hostedZoneAlreadyExists(String callerReference) {
        return new ApiException("HostedZoneAlreadyExists", 409,
                "A hosted zone has already been created with the specified caller reference: " + callerReference);
    }

    static ApiException hostedZoneNotEmpty() {
        return new ApiException("HostedZoneNotEmpty", 400,
                "The specified hosted zone contains non-required resource record sets and so cannot be deleted.");
    }

    static ApiException conflictingDomainExists(String message) {
        return new ApiException("ConflictingDomainExists", 400, message);
    }

    static ApiException invalidVpcId(String message) {
        return new ApiException("InvalidVPCId", 400, message);
    }

    static ApiException vpcAssociationNotFound(String vpcId, String zoneId) {
        return new ApiException("VPCAssociationNotFound", 404, "The specified VPC and hosted zone are not currently"
                + " associated: " + vpcId + " is not associated with " + zoneId + ".");
    }

    static ApiException lastVpcAssociation(String vpcId, String zoneId) {
        return new ApiException("LastVPCAssociation", 400, "The VPC " + vpcId + " is the last VPC associated with"
                + " the private hosted zone " + zoneId + "; Route 53 doesn't support disassociating the last VPC"
                + " from a hosted zone.");
    }

    static ApiException tooManyHostedZones(int limit) {
        return new ApiException("TooManyHostedZones", 400, "This account already has " + limit
                + " hosted zones, the limit.");
    }

    static ApiException limitsExceeded(String message) {
        return new ApiException("LimitsExceeded", 400, message);
    }

    /**
     * {@code InvalidChangeBatch} as Route 53 answers it today: every problem of the batch in one message,
     * {@code [first, second]}, and the list itself in the model's {@code messages} member.
     */
    static ApiException invalidChangeBatch(List<String> messages) {
        ObjectNode members = JsonNodeFactory.instance.objectNode();
        var list = members.putArray("messages");
        messages.forEach(list::add);
        return new ApiException("InvalidChangeBatch", 400, "[" + String.join(", ", messages) + "]", members);
    }
}
