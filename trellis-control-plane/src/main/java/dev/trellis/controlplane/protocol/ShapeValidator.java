package dev.trellis.controlplane.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks an input document against its model shape: required members, types, lengths, ranges, patterns, enums and
 * unions. Patterns must match the whole value (names and identifiers are whole-value rules in practice).
 */
public final class ShapeValidator {

    private static final int MAX_REPORTED = 10;

    private final ServiceModel model;

    public ShapeValidator(ServiceModel model) {
        this.model = model;
    }

    /** The problems of {@code input} as an instance of {@code shapeName}; empty when it is valid. */
    public List<ApiException.FieldError> validate(String shapeName, JsonNode input) {
        List<ApiException.FieldError> errors = new ArrayList<>();
        validateStructure(model.shape(shapeName), input, "", errors);
        return errors;
    }

    private void validate(Shape shape, JsonNode value, String path, List<ApiException.FieldError> errors) {
        if (errors.size() >= MAX_REPORTED || value == null || value.isNull()) {
            return;
        }
        switch (shape.type()) {
            case STRUCTURE -> validateStructure(shape, value, path, errors);
            case LIST -> {
                if (!value.isArray()) {
                    errors.add(new ApiException.FieldError(path, "must be a list"));
                    return;
                }
                checkSize(shape, value.size(), path, "items", errors);
                Shape member = model.shape(shape.listMember());
                for (int i = 0; i < value.size(); i++) {
                    if (value.get(i).isNull()) {
                        // Handlers trust validated input; a null element would reach them as a hole.
                        errors.add(new ApiException.FieldError(path + "[" + i + "]", "must not be null"));
                        continue;
                    }
                    validate(member, value.get(i), path + "[" + i + "]", errors);
                }
            }
            case MAP -> {
                if (!value.isObject()) {
                    errors.add(new ApiException.FieldError(path, "must be a map"));
                    return;
                }
                checkSize(shape, value.size(), path, "entries", errors);
                Shape key = model.shape(shape.mapKey());
                Shape mapValue = model.shape(shape.mapValue());
                value.fields().forEachRemaining(e -> {
                    checkString(key, e.getKey(), path + " key '" + e.getKey() + "'", errors);
                    if (e.getValue().isNull()) {
                        errors.add(new ApiException.FieldError(path + "." + e.getKey(), "must not be null"));
                    } else {
                        validate(mapValue, e.getValue(), path + "." + e.getKey(), errors);
                    }
                });
            }
            case STRING -> {
                if (!value.isTextual()) {
                    errors.add(new ApiException.FieldError(path, "must be a string"));
                    return;
                }
                checkString(shape, value.textValue(), path, errors);
            }
            case INTEGER, LONG -> {
                if (!value.isIntegralNumber()) {
                    errors.add(new ApiException.FieldError(path, "must be a whole number"));
                    return;
                }
                long n = value.longValue();
                if (shape.min() != null && n < shape.min() || shape.max() != null && n > shape.max()) {
                    errors.add(new ApiException.FieldError(path, "must be " + range(shape) + ", not " + n));
                }
            }
            case BOOLEAN -> {
                if (!value.isBoolean()) {
                    errors.add(new ApiException.FieldError(path, "must be true or false"));
                }
            }
            case DOUBLE, FLOAT -> {
                if (!value.isNumber()) {
                    errors.add(new ApiException.FieldError(path, "must be a number"));
                }
            }
            case TIMESTAMP -> {
                if (!value.isTextual() && !value.isNumber()) {
                    errors.add(new ApiException.FieldError(path, "must be a timestamp"));
                }
            }
            case BLOB -> checkBlob(shape, value, path, errors);
            default -> throw new IllegalStateException("unhandled shape type " + shape.type());
        }
    }

    private void validateStructure(Shape shape, JsonNode value, String path, List<ApiException.FieldError> errors) {
        if (!value.isObject()) {
            errors.add(new ApiException.FieldError(path.isEmpty() ? "body" : path, "must be an object"));
            return;
        }
        for (String required : shape.required()) {
            JsonNode v = value.get(required);
            if (v == null || v.isNull()) {
                errors.add(new ApiException.FieldError(join(path, required), "is required"));
            }
        }
        int present = 0;
        for (Map.Entry<String, Shape.Member> e : shape.members().entrySet()) {
            JsonNode v = value.get(e.getKey());
            if (v != null && !v.isNull()) {
                present++;
                validate(model.shape(e.getValue().shape()), v, join(path, e.getKey()), errors);
            }
        }
        if (shape.union() && present != 1) {
            errors.add(new ApiException.FieldError(path.isEmpty() ? "body" : path,
                    "must have exactly one of " + String.join(", ", shape.members().keySet())));
        }
    }

    private static void checkString(Shape shape, String text, String path, List<ApiException.FieldError> errors) {
        int length = text.codePointCount(0, text.length());
        if (shape.min() != null && length < shape.min() || shape.max() != null && length > shape.max()) {
            errors.add(new ApiException.FieldError(path, "length must be " + range(shape) + " characters, not "
                    + length));
        } else if (!shape.enumValues().isEmpty() && !shape.enumValues().contains(text)) {
            errors.add(new ApiException.FieldError(path, "must be one of " + String.join(", ", shape.enumValues())
                    + ", not '" + text + "'"));
        } else if (shape.pattern() != null && !shape.pattern().matcher(text).matches()) {
            errors.add(new ApiException.FieldError(path, "'" + text + "' must match the pattern "
                    + shape.pattern().pattern()));
        }
    }

    /** Blobs travel in JSON bodies as base64 text; the model's bounds are on the decoded bytes. */
    private static void checkBlob(Shape shape, JsonNode value, String path, List<ApiException.FieldError> errors) {
        if (!value.isTextual()) {
            errors.add(new ApiException.FieldError(path, "must be base64 text"));
            return;
        }
        int size;
        try {
            size = java.util.Base64.getDecoder().decode(value.textValue()).length;
        } catch (IllegalArgumentException e) {
            errors.add(new ApiException.FieldError(path, "must be base64 text (" + e.getMessage() + ")"));
            return;
        }
        if (shape.min() != null && size < shape.min() || shape.max() != null && size > shape.max()) {
            errors.add(new ApiException.FieldError(path, "must be " + range(shape) + " bytes, not " + size));
        }
    }

    private static void checkSize(Shape shape, int size, String path, String unit,
                                  List<ApiException.FieldError> errors) {
        if (shape.min() != null && size < shape.min() || shape.max() != null && size > shape.max()) {
            errors.add(new ApiException.FieldError(path, "must have " + range(shape) + " " + unit + ", not "
                    + size));
        }
    }

    private static String range(Shape shape) {
        if (shape.min() != null && shape.max() != null) {
            return shape.min() + "-" + shape.max();
        }
        return shape.min() != null ? "at least " + shape.min() : "at most " + shape.max();
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }
}
