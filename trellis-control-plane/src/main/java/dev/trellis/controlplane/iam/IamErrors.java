package dev.trellis.controlplane.iam;

import dev.trellis.controlplane.protocol.ApiException;

/**
 * The IAM errors operations raise, with the codes and statuses of the model's error shapes (IamErrorsTest checks
 * them against the model). Messages follow IAM's wording where it is known.
 */
public final class IamErrors {

    private IamErrors() {
    }

    public static ApiException noSuchEntity(String message) {
        return new ApiException("NoSuchEntity", 404, message);
    }

    public static ApiException alreadyExists(String message) {
        return new ApiException("EntityAlreadyExists", 409, message);
    }

    public static ApiException deleteConflict(String message) {
        return new ApiException("DeleteConflict", 409, message);
    }

    public static ApiException limitExceeded(String message) {
        return new ApiException("LimitExceeded", 409, message);
    }

    /** {@code LimitExceeded} with IAM's wording for an account or entity quota. */
    public static ApiException quota(String quotaName, int limit) {
        return limitExceeded("Cannot exceed quota for " + quotaName + ": " + limit);
    }

    public static ApiException invalidInput(String message) {
        return new ApiException("InvalidInput", 400, message);
    }

    public static ApiException malformedPolicy(String message) {
        return new ApiException("MalformedPolicyDocument", 400, message);
    }

    public static ApiException openIdIdpCommunicationError(String message) {
        return new ApiException("OpenIdIdpCommunicationError", 400, message);
    }

    /** {@code ValidationError} (400) for one parameter, as the query protocol names a bad request. */
    public static ApiException validation(String message) {
        return new ApiException("ValidationError", 400, message);
    }

    /** {@code AccessDenied} (403), IAM's code for a refused call. */
    public static ApiException accessDenied(String message) {
        return new ApiException("AccessDenied", 403, message);
    }
}
