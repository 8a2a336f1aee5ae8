package dev.trellis.controlplane.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The AWS JSON 1.1 protocol's bindings for one service model (ACM): every call is {@code POST /} with
 * {@code X-Amz-Target: <targetPrefix>.<Operation>} and the input as a JSON document; the output is a JSON document
 * whose timestamps are epoch seconds; an error is {@code {"__type": <code>, "message": ...}}.
 */
public final class Json11Binding {

    public static final String CONTENT_TYPE = "application/x-amz-json-1.1";

    private final ServiceModel model;
    private final ShapeValidator validator;
    private final ObjectMapper json;
    private final String targetPrefix;

    public Json11Binding(ServiceModel model, ObjectMapper json) {
        if (model.targetPrefix() == null) {
            throw new IllegalArgumentException("the " + model.signingName() + " model has no targetPrefix: it is not"
                    + " a JSON-protocol model");
        }
        this.model = model;
        this.validator = new ShapeValidator(model);
        this.json = json;
        this.targetPrefix = model.targetPrefix() + ".";
    }

    /**
     * The operation {@code X-Amz-Target} names.
     *
     * @throws ApiException {@code UnknownOperationException} when the header is missing, has another prefix, or
     *     names no operation of the model
     */
    public OperationModel operation(ApiRequest request) {
        String target = request.header("X-Amz-Target");
        if (!"POST".equals(request.method())) {
            throw new ApiException("UnknownOperationException", 400, "Calls to this API are POST requests with an"
                    + " X-Amz-Target header, not " + request.method());
        }
        if (target == null || !target.startsWith(targetPrefix)) {
            throw new ApiException("UnknownOperationException", 400, "The X-Amz-Target header must name an"
                    + " operation as " + targetPrefix + "<Operation>"
                    + (target == null ? "" : ", not '" + target + "'"));
        }
        String name = target.substring(targetPrefix.length());
        try {
            return model.operation(name);
        } catch (IllegalArgumentException e) {
            throw new ApiException("UnknownOperationException", 400, "No operation named '" + name + "'");
        }
    }

    /**
     * Parses and validates the input document of {@code operation}.
     *
     * @throws ApiException {@code SerializationException} for a body that is not a JSON object, or
     *     {@code ValidationException} naming every member that breaks the model's constraints
     */
    public ObjectNode input(OperationModel operation, ApiRequest request) {
        ObjectNode input = body(request);
        if (operation.inputShape() != null) {
            List<ApiException.FieldError> errors = validator.validate(operation.inputShape(), input);
            if (!errors.isEmpty()) {
                throw ApiException.validation(errors);
            }
        }
        return input;
    }

    private ObjectNode body(ApiRequest request) {
        if (request.body() == null || request.body().length == 0) {
            return json.createObjectNode();
        }
        JsonNode parsed;
        try {
            parsed = json.readTree(request.body());
        } catch (JsonProcessingException e) {
            throw new ApiException("SerializationException", 400, "The request body is not valid JSON: "
                    + e.getOriginalMessage() + " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")");
        } catch (IOException e) {
            throw new ApiException("SerializationException", 400, "The request body cannot be read: "
                    + e.getMessage());
        }
        if (parsed == null || parsed.isMissingNode()) {
            return json.createObjectNode();
        }
        if (!(parsed instanceof ObjectNode object)) {
            throw new ApiException("SerializationException", 400, "The request body must be a JSON object");
        }
        return object;
    }

    /**
     * Serialises {@code output} as {@code operation}'s output shape: members the shape does not have are dropped
     * (so bookkeeping fields never leave), timestamps (kept as ISO-8601 text) become epoch seconds.
     */
    public ApiResponse output(OperationModel operation, ObjectNode output) {
        JsonNode body = operation.outputShape() == null || output == null
                ? json.createObjectNode()
                : render(model.shape(operation.outputShape()), output);
        try {
            return new ApiResponse(200, Map.of("Content-Type", CONTENT_TYPE), json.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the output of " + operation.name(), e);
        }
    }

    private JsonNode render(Shape shape, JsonNode value) {
        switch (shape.type()) {
            case STRUCTURE -> {
                ObjectNode out = json.createObjectNode();
                for (Shape.Member member : shape.members().values()) {
                    JsonNode v = value.get(member.name());
                    if (v != null && !v.isNull()) {
                        out.set(member.wireName(), render(model.shape(member.shape()), v));
                    }
                }
                return out;
            }
            case LIST -> {
                ArrayNode out = json.createArrayNode();
                Shape element = model.shape(shape.listMember());
                value.forEach(v -> out.add(render(element, v)));
                return out;
            }
            case MAP -> {
                ObjectNode out = json.createObjectNode();
                Shape element = model.shape(shape.mapValue());
                for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    out.set(e.getKey(), render(element, e.getValue()));
                }
                return out;
            }
            case TIMESTAMP -> {
                return value.isTextual() ? epochSeconds(value.textValue()) : value;
            }
            default -> {
                return value;
            }
        }
    }

    /** ISO-8601 text as epoch seconds with milliseconds, the JSON protocols' timestamp format. */
    static JsonNode epochSeconds(String iso) {
        try {
            Instant instant = Instant.parse(iso);
            return DecimalNode.valueOf(BigDecimal.valueOf(instant.toEpochMilli(), 3));
        } catch (DateTimeParseException e) {
            throw new IllegalStateException("a stored timestamp is not ISO-8601: '" + iso + "'", e);
        }
    }

    /**
     * Serialises an error as JSON 1.1 clients read it: {@code __type} and {@code message}, plus the members the
     * model's error shape of that name declares.
     */
    public ApiResponse error(ApiException error) {
        ObjectNode body = json.createObjectNode();
        body.put("__type", error.code());
        body.put("message", error.getMessage());
        Shape shape = errorShape(error.code());
        if (shape != null) {
            error.members().fields().forEachRemaining(e -> {
                if (shape.members().containsKey(e.getKey()) && !e.getKey().equals("message")) {
                    body.set(e.getKey(), e.getValue());
                }
            });
        }
        try {
            return new ApiResponse(error.status(), Map.of("Content-Type", CONTENT_TYPE), json.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise an error", e);
        }
    }

    private Shape errorShape(String code) {
        try {
            Shape shape = model.shape(code);
            return shape.type() == Shape.Type.STRUCTURE ? shape : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
