package dev.trellis.controlplane.acm;

import dev.trellis.controlplane.protocol.ApiException;
import java.util.List;

/** The ACM errors operations raise. ACM is a JSON 1.1 service: every client error is HTTP 400. */
final class AcmErrors {

    static final int CLIENT_ERROR = 400;

    private AcmErrors() {
    }

    static ApiException validation(String message) {
        return new ApiException("ValidationException", CLIENT_ERROR, message);
    }

    static ApiException invalidParameter(String message) {
        return new ApiException("InvalidParameterException", CLIENT_ERROR, message);
    }

    static ApiException invalidArn(String arn, String expected) {
        return new ApiException("InvalidArnException", CLIENT_ERROR, "'" + arn + "' is not a valid certificate ARN"
                + " here: expected " + expected);
    }

    static ApiException notFound(String arn) {
        return new ApiException("ResourceNotFoundException", CLIENT_ERROR, "Could not find certificate " + arn);
    }

    static ApiException inUse(String arn, List<String> users) {
        return new ApiException("ResourceInUseException", CLIENT_ERROR, "Certificate " + arn + " is in use by "
                + String.join(", ", users) + "; remove it from " + (users.size() == 1 ? "that resource" : "them")
                + " first");
    }

    static ApiException invalidTag(String message) {
        return new ApiException("InvalidTagException", CLIENT_ERROR, message);
    }

    static ApiException tooManyTags(String message) {
        return new ApiException("TooManyTagsException", CLIENT_ERROR, message);
    }
}
