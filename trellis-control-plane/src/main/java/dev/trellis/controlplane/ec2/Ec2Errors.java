package dev.trellis.controlplane.ec2;

import dev.trellis.controlplane.protocol.ApiException;
import java.util.List;

/**
 * The EC2 errors the operations raise: EC2's codes, its statuses (every client error is 400 except
 * {@code AuthFailure} 401, {@code UnauthorizedOperation} 403 and {@code DryRunOperation} 412) and, where known, its
 * wording (docs/api-compatibility.md lists the sources).
 */
final class Ec2Errors {

    /** How much of a client-supplied value an error message repeats. */
    private static final int ECHO_LIMIT = 128;

    private Ec2Errors() {
    }

    /** A client error (400). */
    static ApiException of(String code, String message) {
        return new ApiException(code, 400, message);
    }

    static ApiException missingParameter(String name) {
        return of("MissingParameter", "The request must contain the parameter " + name);
    }

    static ApiException invalidParameterValue(String message) {
        return of("InvalidParameterValue", message);
    }

    static ApiException invalidAction(String action) {
        return of("InvalidAction", "The action " + echo(action) + " is not valid for this web service. Trellis"
                + " serves the EC2 actions " + String.join(", ", Ec2Service.ACTIONS) + " (docs/api-compatibility.md).");
    }

    static ApiException vpcMalformed(String id) {
        return of("InvalidVpcID.Malformed", "Invalid id: \"" + echo(id) + "\" (expecting \"vpc-...\")");
    }

    /** {@code InvalidVpcID.NotFound} for one or several ids. */
    static ApiException vpcNotFound(List<String> ids) {
        List<String> shown = ids.stream().map(Ec2Errors::echo).toList();
        return ids.size() == 1
                ? of("InvalidVpcID.NotFound", "The vpc ID '" + shown.get(0) + "' does not exist")
                : of("InvalidVpcID.NotFound", "The vpc IDs '" + String.join(", ", shown) + "' do not exist");
    }

    static ApiException dryRun() {
        return new ApiException("DryRunOperation", 412, "Request would have succeeded, but DryRun flag is set.");
    }

    /** EC2's refusal of an action the caller's policies do not allow, around the authorizer's explanation. */
    static ApiException unauthorized(ApiException denied) {
        return new ApiException("UnauthorizedOperation", 403, "You are not authorized to perform this operation. "
                + denied.getMessage());
    }

    /**
     * {@code value} as an error message may repeat it: at most {@value #ECHO_LIMIT} characters. (The XML writer
     * replaces characters XML cannot carry.)
     */
    static String echo(String value) {
        if (value == null) {
            return "";
        }
        return value.length() <= ECHO_LIMIT ? value : value.substring(0, ECHO_LIMIT) + "...";
    }
}
