package dev.trellis.controlplane.protocol;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * An error an API answers with: the AWS error code ({@code ValidationException}, {@code ConflictException}, ...),
 * its HTTP status, a message for the user and the exception's other members as the model defines them.
 */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String code;
    private final int status;
    private final transient ObjectNode members;

    public ApiException(String code, int status, String message, ObjectNode members) {
        super(message, null, false, false);
        this.code = code;
        this.status = status;
        this.members = members == null ? JsonNodeFactory.instance.objectNode() : members;
    }

    public ApiException(String code, int status, String message) {
        this(code, status, message, null);
    }

    /** A field that failed validation: its path in the input and what is wrong with it. */
    public record FieldError(String name, String message) {
    }

    /** {@code ValidationException} with reason {@code fieldValidationFailed} and the fields' list. */
    public static ApiException validation(List<FieldError> errors) {
        ObjectNode members = JsonNodeFactory.instance.objectNode();
        members.put("reason", "fieldValidationFailed");
        var list = members.putArray("fieldList");
        StringBuilder message = new StringBuilder();
        message.append(errors.size()).append(errors.size() == 1 ? " validation error" : " validation errors")
                .append(" detected: ");
        for (int i = 0; i < errors.size(); i++) {
            FieldError e = errors.get(i);
            list.addObject().put("name", e.name()).put("message", e.message());
            message.append(i == 0 ? "" : "; ").append(e.name()).append(": ").append(e.message());
        }
        return new ApiException("ValidationException", 400, message.toString(), members);
    }

    /** {@code ValidationException} for one field. */
    public static ApiException invalidField(String name, String message) {
        return validation(List.of(new FieldError(name, message)));
    }

    /** {@code ValidationException} with a reason other than field validation ({@code cannotParse}, ...). */
    public static ApiException validation(String reason, String message) {
        ObjectNode members = JsonNodeFactory.instance.objectNode();
        members.put("reason", reason);
        return new ApiException("ValidationException", 400, message, members);
    }

    public String code() {
        return code;
    }

    public int status() {
        return status;
    }

    public ObjectNode members() {
        return members;
    }
}
