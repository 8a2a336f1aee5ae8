package dev.trellis.controlplane.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rest-json protocol's bindings for one service model: turns a routed request into the operation's input
 * document (URI labels, query parameters, headers and JSON body, coerced to the members' types and validated) and an
 * output document into a status, headers and a JSON body.
 */
public final class RestJsonBinding {

    private final ServiceModel model;
    private final ShapeValidator validator;
    private final ObjectMapper json;

    public RestJsonBinding(ServiceModel model, ObjectMapper json) {
        this.model = model;
        this.validator = new ShapeValidator(model);
        this.json = json;
    }

    /**
     * Builds and validates the input of {@code route}'s operation.
     *
     * @throws ApiException {@code ValidationException} ({@code cannotParse} or {@code fieldValidationFailed})
     */
    public ObjectNode input(RestRouter.Route route, ApiRequest request) {
        String inputShapeName = route.operation().inputShape();
        ObjectNode input = body(request);
        if (inputShapeName == null) {
            return input;
        }
        Shape shape = model.shape(inputShapeName);
        for (Shape.Member member : shape.members().values()) {
            Shape memberShape = model.shape(member.shape());
            switch (member.location()) {
                case URI -> {
                    String value = route.labels().get(member.wireName());
                    if (value != null) {
                        input.put(member.name(), value);
                    }
                }
                case QUERYSTRING -> {
                    List<String> values = request.query().get(member.wireName());
                    if (values != null && !values.isEmpty()) {
                        bindText(input, member, memberShape, values);
                    }
                }
                case HEADER -> {
                    String value = request.header(member.wireName());
                    if (value != null) {
                        bindText(input, member, memberShape, List.of(value));
                    }
                }
                default -> {
                    // BODY members came with the JSON document; HEADERS (prefix maps) are not used by these APIs.
                }
            }
        }
        List<ApiException.FieldError> errors = validator.validate(inputShapeName, input);
        if (!errors.isEmpty()) {
            throw ApiException.validation(errors);
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
            throw ApiException.validation("cannotParse", "The request body is not valid JSON: "
                    + e.getOriginalMessage() + " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")");
        } catch (java.io.IOException e) {
            throw ApiException.validation("cannotParse", "The request body cannot be read: " + e.getMessage());
        }
        if (parsed == null || parsed.isMissingNode()) {
            return json.createObjectNode();
        }
        if (!(parsed instanceof ObjectNode object)) {
            throw ApiException.validation("cannotParse", "The request body must be a JSON object");
        }
        return object;
    }

    private static void bindText(ObjectNode input, Shape.Member member, Shape shape, List<String> values) {
        String name = member.name();
        switch (shape.type()) {
            case LIST -> {
                ArrayNode array = input.putArray(name);
                values.forEach(array::add);
            }
            case INTEGER, LONG -> {
                try {
                    input.put(name, Shape.parseWhole(values.get(0)));
                } catch (NumberFormatException e) {
                    throw ApiException.invalidField(name, "must be a whole number, not '" + values.get(0) + "'");
                }
            }
            case BOOLEAN -> {
                String v = values.get(0);
                if (!v.equals("true") && !v.equals("false")) {
                    throw ApiException.invalidField(name, "must be true or false, not '" + v + "'");
                }
                input.put(name, Boolean.parseBoolean(v));
            }
            default -> input.put(name, values.get(0));
        }
    }

    /** Serialises {@code output} for {@code operation}: header members into headers, the rest into the body. */
    public ApiResponse output(OperationModel operation, ObjectNode output) {
        Map<String, String> headers = new LinkedHashMap<>();
        ObjectNode body = output == null ? json.createObjectNode() : output.deepCopy();
        if (operation.outputShape() != null) {
            for (Shape.Member member : model.shape(operation.outputShape()).members().values()) {
                if (member.location() == Shape.Location.HEADER && body.has(member.name())) {
                    headers.put(member.wireName(), body.remove(member.name()).asText());
                }
            }
        }
        byte[] bytes;
        if (operation.successStatus() == 204) {
            bytes = new byte[0];
        } else {
            try {
                bytes = json.writeValueAsBytes(body);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot serialise the output of " + operation.name(), e);
            }
            headers.put("Content-Type", "application/json");
        }
        return new ApiResponse(operation.successStatus(), headers, bytes);
    }

    /** Serialises an error as rest-json clients read it: {@code x-amzn-ErrorType} and a JSON body. */
    public ApiResponse error(ApiException error) {
        ObjectNode body = json.createObjectNode();
        body.put("message", error.getMessage());
        body.setAll(error.members());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("x-amzn-ErrorType", error.code());
        headers.put("Content-Type", "application/json");
        try {
            return new ApiResponse(error.status(), headers, json.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise an error", e);
        }
    }
}
