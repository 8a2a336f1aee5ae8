package dev.trellis.controlplane.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The AWS query protocol (IAM, STS) for one service model. Requests are form-encoded parameters — the body of a
 * POST, or the query string — naming the operation in {@code Action} and the API version in {@code Version}; members
 * are flattened as the model says ({@code Tags.member.1.Key}, lists {@code Name.member.N}, maps
 * {@code Name.entry.N.key}/{@code .value}). The input document is built from the input shape, coerced to the members'
 * types and validated with {@link ShapeValidator}. Responses are XML:
 * {@code <OpResponse xmlns="..."><OpResult>...</OpResult><ResponseMetadata><RequestId>...}, and errors
 * {@code <ErrorResponse><Error><Type>Sender</Type><Code>...</Code><Message>...</Message></Error><RequestId>...}.
 *
 * <p>The facts only this protocol needs (the XML namespace, result wrappers, list member names, error codes) are read
 * from the same model digest here rather than added to {@link ServiceModel}, which stays protocol-neutral.
 */
public final class QueryBinding {

    /** Parameters beyond this many are refused: no IAM or STS call needs a tenth of it. */
    static final int MAX_PARAMETERS = 2_000;

    private final ServiceModel model;
    private final ShapeValidator validator;
    private final String xmlNamespace;
    private final Map<String, String> resultWrappers;
    private final Map<String, String> listMemberNames;
    private final Map<String, Boolean> flattened;
    private final Map<String, ErrorShape> errorsByCode;

    /** An error shape of the model: its wire code, HTTP status and whether the caller is at fault. */
    public record ErrorShape(String shapeName, String code, int status, boolean senderFault) {
    }

    /** A decoded request: the operation and its validated input document. */
    public record Call(OperationModel operation, ObjectNode input) {
    }

    private QueryBinding(ServiceModel model, JsonNode raw) {
        this.model = model;
        this.validator = new ShapeValidator(model);
        this.xmlNamespace = raw.path("metadata").path("xmlNamespace").asText();
        Map<String, String> wrappers = new HashMap<>();
        raw.path("operations").fields().forEachRemaining(e -> {
            String wrapper = e.getValue().path("output").path("resultWrapper").asText(null);
            if (wrapper != null) {
                wrappers.put(e.getKey(), wrapper);
            }
        });
        Map<String, String> members = new HashMap<>();
        Map<String, Boolean> flat = new HashMap<>();
        Map<String, ErrorShape> errors = new HashMap<>();
        raw.path("shapes").fields().forEachRemaining(e -> {
            JsonNode shape = e.getValue();
            if (shape.path("type").asText().equals("list")) {
                members.put(e.getKey(), shape.path("member").path("locationName").asText("member"));
                flat.put(e.getKey(), shape.path("flattened").asBoolean(false));
            }
            if (shape.path("exception").asBoolean(false)) {
                JsonNode error = shape.path("error");
                String code = error.path("code").asText(e.getKey());
                errors.put(code, new ErrorShape(e.getKey(), code, error.path("httpStatusCode").asInt(400),
                        error.path("senderFault").asBoolean(false)));
            }
        });
        this.resultWrappers = Map.copyOf(wrappers);
        this.listMemberNames = Map.copyOf(members);
        this.flattened = Map.copyOf(flat);
        this.errorsByCode = Map.copyOf(errors);
    }

    /** The binding of the committed model digest {@code models/<name>.json}. */
    public static QueryBinding load(String name) {
        String resource = "/dev/trellis/controlplane/models/" + name + ".json";
        try (InputStream in = QueryBinding.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no service model " + resource);
            }
            JsonNode raw = new ObjectMapper().readTree(in);
            ServiceModel model = ServiceModel.fromJson(raw);
            if (!model.protocol().equals("query")) {
                throw new IllegalArgumentException(name + " is a " + model.protocol() + " model, not query");
            }
            return new QueryBinding(model, raw);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read service model " + resource, e);
        }
    }

    public ServiceModel model() {
        return model;
    }

    public String xmlNamespace() {
        return xmlNamespace;
    }

    /** The model's error shape with this wire code ({@code NoSuchEntity}), if it has one. */
    public java.util.Optional<ErrorShape> errorShape(String code) {
        return java.util.Optional.ofNullable(errorsByCode.get(code));
    }

    /**
     * The request's parameters: the query string's, then the form body's (a POST's body wins over a query
     * parameter of the same name).
     *
     * @throws ApiException {@code MalformedQueryString} (400) for a bad percent-escape or too many parameters
     */
    public static Map<String, String> parameters(ApiRequest request) {
        Map<String, String> params = new LinkedHashMap<>();
        decodeForm(request.rawQuery(), params);
        if (request.body() != null && request.body().length > 0) {
            decodeForm(new String(request.body(), StandardCharsets.ISO_8859_1), params);
        }
        return params;
    }

    /** The {@code Action} parameter of a request, or null; never throws. */
    public static String action(ApiRequest request) {
        try {
            return parameters(request).get("Action");
        } catch (ApiException e) {
            return null;
        }
    }

    /**
     * Whether a request names one of this model's operations ({@code Action}) and, when it gives one, this model's
     * {@code Version}; never throws.
     */
    public boolean names(ApiRequest request) {
        Map<String, String> params;
        try {
            params = parameters(request);
        } catch (ApiException e) {
            return false;
        }
        String action = params.get("Action");
        String version = params.get("Version");
        return action != null && (version == null || version.equals(model.apiVersion()))
                && model.operations().stream().anyMatch(op -> op.name().equals(action));
    }

    /**
     * Decodes a request into its operation and validated input.
     *
     * @throws ApiException {@code MissingAction}, {@code InvalidAction} (400), or {@code ValidationError} (400)
     *                      naming each field that breaks a rule of the model
     */
    public Call read(ApiRequest request) {
        Map<String, String> params = parameters(request);
        String action = params.get("Action");
        if (action == null || action.isEmpty()) {
            throw new ApiException("MissingAction", 400, "The request must contain the parameter Action.");
        }
        String version = params.get("Version");
        OperationModel operation = model.operations().stream()
                .filter(op -> op.name().equals(action)).findFirst().orElse(null);
        if (operation == null || version != null && !version.equals(model.apiVersion())) {
            throw new ApiException("InvalidAction", 400, "Could not find operation " + printable(action)
                    + " for version " + printable(version == null ? model.apiVersion() : version));
        }
        ObjectNode input = JsonNodeFactory.instance.objectNode();
        if (operation.inputShape() != null) {
            List<ApiException.FieldError> errors = new ArrayList<>();
            readStructure(model.shape(operation.inputShape()), "", params, input, errors);
            if (errors.isEmpty()) {
                errors.addAll(validator.validate(operation.inputShape(), input));
            }
            if (!errors.isEmpty()) {
                throw validationError(errors);
            }
        }
        return new Call(operation, input);
    }

    /** {@code ValidationError} (400), as IAM and STS name a request that breaks the model's rules. */
    public static ApiException validationError(List<ApiException.FieldError> errors) {
        ApiException generic = ApiException.validation(errors);
        return new ApiException("ValidationError", 400, generic.getMessage());
    }

    private void readStructure(Shape shape, String prefix, Map<String, String> params, ObjectNode into,
                               List<ApiException.FieldError> errors) {
        for (Shape.Member member : shape.members().values()) {
            String key = prefix.isEmpty() ? member.wireName() : prefix + "." + member.wireName();
            JsonNode value = readValue(model.shape(member.shape()), key, params, errors);
            if (value != null) {
                into.set(member.name(), value);
            }
        }
    }

    private JsonNode readValue(Shape shape, String key, Map<String, String> params,
                               List<ApiException.FieldError> errors) {
        switch (shape.type()) {
            case STRUCTURE -> {
                ObjectNode object = JsonNodeFactory.instance.objectNode();
                readStructure(shape, key, params, object, errors);
                return object.isEmpty() ? null : object;
            }
            case LIST -> {
                boolean flat = flattened.getOrDefault(shape.name(), false);
                String itemPrefix = flat ? key + "." : key + "." + listMemberNames.getOrDefault(shape.name(),
                        "member") + ".";
                TreeMap<Integer, String> indexes = indexes(itemPrefix, params, key, errors);
                if (indexes.isEmpty()) {
                    // An empty list is sent as the bare name with an empty value.
                    String bare = params.get(key);
                    return bare != null && bare.isEmpty() ? JsonNodeFactory.instance.arrayNode() : null;
                }
                ArrayNode array = JsonNodeFactory.instance.arrayNode();
                Shape item = model.shape(shape.listMember());
                for (String index : indexes.values()) {
                    JsonNode value = readValue(item, itemPrefix + index, params, errors);
                    array.add(value == null ? JsonNodeFactory.instance.nullNode() : value);
                }
                return array;
            }
            case MAP -> {
                String entryPrefix = key + ".entry.";
                TreeMap<Integer, String> indexes = indexes(entryPrefix, params, key, errors);
                if (indexes.isEmpty()) {
                    return null;
                }
                ObjectNode map = JsonNodeFactory.instance.objectNode();
                Shape valueShape = model.shape(shape.mapValue());
                for (String index : indexes.values()) {
                    String mapKey = params.get(entryPrefix + index + ".key");
                    if (mapKey == null) {
                        errors.add(new ApiException.FieldError(entryPrefix + index + ".key", "is required"));
                        continue;
                    }
                    JsonNode value = readValue(valueShape, entryPrefix + index + ".value", params, errors);
                    map.set(mapKey, value == null ? JsonNodeFactory.instance.nullNode() : value);
                }
                return map;
            }
            default -> {
                String text = params.get(key);
                return text == null ? null : scalar(shape, key, text, errors);
            }
        }
    }

    /** The item indexes present under {@code prefix} ({@code Tags.member.}), in numeric order. */
    private static TreeMap<Integer, String> indexes(String prefix, Map<String, String> params, String key,
                                                    List<ApiException.FieldError> errors) {
        TreeMap<Integer, String> indexes = new TreeMap<>();
        for (String name : params.keySet()) {
            if (!name.startsWith(prefix)) {
                continue;
            }
            int end = name.indexOf('.', prefix.length());
            String index = end < 0 ? name.substring(prefix.length()) : name.substring(prefix.length(), end);
            int n;
            try {
                n = Integer.parseInt(index);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || !index.equals(Integer.toString(n))) {
                errors.add(new ApiException.FieldError(key, "'" + printable(name)
                        + "' does not name an item: items are numbered from 1"));
                continue;
            }
            indexes.put(n, index);
        }
        return indexes;
    }

    private static JsonNode scalar(Shape shape, String key, String text, List<ApiException.FieldError> errors) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        switch (shape.type()) {
            case INTEGER, LONG -> {
                try {
                    return f.numberNode(Shape.parseWhole(text.trim()));
                } catch (NumberFormatException e) {
                    errors.add(new ApiException.FieldError(key, "must be a whole number, not '" + printable(text)
                            + "'"));
                    return null;
                }
            }
            case DOUBLE, FLOAT -> {
                try {
                    return f.numberNode(Double.parseDouble(text.trim()));
                } catch (NumberFormatException e) {
                    errors.add(new ApiException.FieldError(key, "must be a number, not '" + printable(text) + "'"));
                    return null;
                }
            }
            case BOOLEAN -> {
                if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                    return f.booleanNode(text.equalsIgnoreCase("true"));
                }
                errors.add(new ApiException.FieldError(key, "must be true or false, not '" + printable(text) + "'"));
                return null;
            }
            default -> {
                return f.textNode(text);
            }
        }
    }

    /** Renders a successful answer: the result members in the model's order, wrapped as the protocol wants. */
    public ApiResponse output(OperationModel operation, ObjectNode output, String requestId) {
        StringBuilder xml = new StringBuilder(256);
        xml.append("<").append(operation.name()).append("Response xmlns=\"").append(xmlNamespace).append("\">");
        String wrapper = resultWrappers.get(operation.name());
        if (operation.outputShape() != null && wrapper != null) {
            xml.append('<').append(wrapper).append('>');
            writeMembers(xml, model.shape(operation.outputShape()), output);
            xml.append("</").append(wrapper).append('>');
        }
        xml.append("<ResponseMetadata><RequestId>").append(escape(requestId))
                .append("</RequestId></ResponseMetadata>");
        xml.append("</").append(operation.name()).append("Response>");
        return xmlResponse(200, xml);
    }

    /** Renders an error: type Sender for the caller's faults (4xx), Receiver for the server's. */
    public ApiResponse error(ApiException error, String requestId) {
        StringBuilder xml = new StringBuilder(256);
        xml.append("<ErrorResponse xmlns=\"").append(xmlNamespace).append("\"><Error><Type>")
                .append(error.status() >= 500 ? "Receiver" : "Sender").append("</Type><Code>")
                .append(escape(error.code())).append("</Code><Message>").append(escape(error.getMessage()))
                .append("</Message></Error><RequestId>").append(escape(requestId)).append("</RequestId>")
                .append("</ErrorResponse>");
        return xmlResponse(error.status(), xml);
    }

    private static ApiResponse xmlResponse(int status, StringBuilder xml) {
        return new ApiResponse(status, Map.of("Content-Type", "text/xml"),
                xml.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void writeMembers(StringBuilder xml, Shape shape, JsonNode value) {
        if (value == null) {
            return;
        }
        for (Shape.Member member : shape.members().values()) {
            JsonNode v = value.get(member.name());
            if (v != null && !v.isNull()) {
                writeValue(xml, model.shape(member.shape()), member.wireName(), v);
            }
        }
    }

    private void writeValue(StringBuilder xml, Shape shape, String element, JsonNode value) {
        switch (shape.type()) {
            case STRUCTURE -> {
                xml.append('<').append(element).append('>');
                writeMembers(xml, shape, value);
                xml.append("</").append(element).append('>');
            }
            case LIST -> {
                Shape item = model.shape(shape.listMember());
                String itemName = listMemberNames.getOrDefault(shape.name(), "member");
                boolean flat = flattened.getOrDefault(shape.name(), false);
                if (!flat) {
                    xml.append('<').append(element).append('>');
                }
                for (JsonNode v : value) {
                    writeValue(xml, item, flat ? element : itemName, v);
                }
                if (!flat) {
                    xml.append("</").append(element).append('>');
                }
            }
            case MAP -> {
                Shape valueShape = model.shape(shape.mapValue());
                xml.append('<').append(element).append('>');
                value.fields().forEachRemaining(e -> {
                    xml.append("<entry><key>").append(escape(e.getKey())).append("</key>");
                    writeValue(xml, valueShape, "value", e.getValue());
                    xml.append("</entry>");
                });
                xml.append("</").append(element).append('>');
            }
            case TIMESTAMP -> {
                String text = value.isNumber() ? Instant.ofEpochSecond(value.asLong()).toString() : value.asText();
                xml.append('<').append(element).append('>').append(escape(text)).append("</").append(element)
                        .append('>');
            }
            default -> xml.append('<').append(element).append('>').append(escape(value.asText()))
                    .append("</").append(element).append('>');
        }
    }

    /** XML text escaping; characters XML 1.0 cannot carry become U+FFFD. */
    static String escape(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String replacement = switch (c) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '"' -> "&quot;";
                case '\r' -> "&#13;";
                default -> c < 0x20 && c != '\t' && c != '\n' || c == 0xFFFE || c == 0xFFFF ? "\uFFFD" : null;
            };
            if (replacement != null && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? text : out.toString();
    }

    /** Decodes {@code application/x-www-form-urlencoded} text (octets as ISO-8859-1 chars) into UTF-8 strings. */
    private static void decodeForm(String text, Map<String, String> into) {
        if (text == null || text.isEmpty()) {
            return;
        }
        int start = 0;
        while (start <= text.length()) {
            int amp = text.indexOf('&', start);
            int end = amp < 0 ? text.length() : amp;
            if (end > start) {
                if (into.size() >= MAX_PARAMETERS) {
                    throw new ApiException("MalformedQueryString", 400, "The request has more than "
                            + MAX_PARAMETERS + " parameters.");
                }
                String pair = text.substring(start, end);
                int eq = pair.indexOf('=');
                String name = percentDecode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : percentDecode(pair.substring(eq + 1));
                into.put(name, value);
            }
            if (amp < 0) {
                break;
            }
            start = amp + 1;
        }
    }

    private static String percentDecode(String s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                bytes.write(' ');
            } else if (c == '%') {
                if (i + 2 >= s.length() || !HexFormat.isHexDigit(s.charAt(i + 1))
                        || !HexFormat.isHexDigit(s.charAt(i + 2))) {
                    throw new ApiException("MalformedQueryString", 400, "The request's parameters are not"
                            + " form-encoded: '%' must be followed by two hexadecimal digits.");
                }
                bytes.write(HexFormat.fromHexDigit(s.charAt(i + 1)) * 16 + HexFormat.fromHexDigit(s.charAt(i + 2)));
                i += 2;
            } else if (c > 0xFF) {
                byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(utf8, 0, utf8.length);
            } else {
                bytes.write(c);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Client text echoed in a message: at most 64 printable ASCII characters. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() < 64; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c < 0x7F ? c : '?');
        }
        return text.length() > 64 ? out + "..." : out.toString();
    }
}
