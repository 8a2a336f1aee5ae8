package dev.trellis.controlplane.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The rest-xml protocol's bindings for one service model (Route 53's, say). A request's input document is built
 * from its URI labels, query parameters, headers and XML body — members named by the model's {@code locationName},
 * lists wrapped or {@code flattened}, the root element and namespace checked — then typed (XML text to the members'
 * JSON types) and validated with {@link ShapeValidator}. Bodies are parsed by {@link SafeXmlParser}: a DOCTYPE is
 * refused. Outputs are serialised as XML documents with the model's element names in the service's namespace,
 * header members as headers, with the operation's success status. Errors are
 * {@code <ErrorResponse><Error><Type/><Code/><Message/>...</Error><RequestId/></ErrorResponse>}.
 *
 * <p>Every problem with the input is an {@link ApiException} with the service's invalid-input code (Route 53:
 * {@code InvalidInput}, 400); nothing a client sends makes this class throw anything else.
 */
public final class RestXmlBinding {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final ServiceModel model;
    private final XmlTraits traits;
    private final ShapeValidator validator;
    private final String invalidInputCode;

    RestXmlBinding(ServiceModel model, XmlTraits traits, String invalidInputCode) {
        this.model = model;
        this.traits = traits;
        this.validator = new ShapeValidator(model);
        this.invalidInputCode = invalidInputCode;
    }

    /**
     * The binding of the committed model digest {@code name} ({@code route53-2013-04-01}).
     *
     * @param invalidInputCode the error code of malformed or invalid input ({@code InvalidInput})
     */
    public static RestXmlBinding forModel(String name, String invalidInputCode) {
        JsonNode digest = ServiceModel.readDigest(name);
        ServiceModel model = ServiceModel.fromJson(digest);
        if (!"rest-xml".equals(model.protocol())) {
            throw new IllegalArgumentException(name + " is a " + model.protocol() + " model, not rest-xml");
        }
        return new RestXmlBinding(model, XmlTraits.of(digest), invalidInputCode);
    }

    public ServiceModel model() {
        return model;
    }

    /** The namespace of the service's documents ({@code https://route53.amazonaws.com/doc/2013-04-01/}). */
    public String namespace() {
        return traits.namespace();
    }

    // ------------------------------------------------------------------------------------------------- input

    /**
     * Builds and validates the input of {@code route}'s operation.
     *
     * @throws ApiException with the invalid-input code: unparseable or hostile XML, a wrong root element or
     *                      namespace, unknown elements, text that is not of the member's type, constraint violations
     */
    public ObjectNode input(RestRouter.Route route, ApiRequest request) {
        OperationModel op = route.operation();
        ObjectNode input = JSON.objectNode();
        if (op.inputShape() == null) {
            return input;
        }
        Shape shape = model.shape(op.inputShape());
        if (hasBodyMembers(shape)) {
            readBody(op, shape, request.body(), input);
        }
        for (Shape.Member member : shape.members().values()) {
            Shape memberShape = model.shape(member.shape());
            switch (member.location()) {
                case URI -> {
                    String value = route.labels().get(member.wireName());
                    if (value != null) {
                        input.set(member.name(), scalar(memberShape, value, member.name()));
                    }
                }
                case QUERYSTRING -> {
                    List<String> values = request.query().get(member.wireName());
                    if (values != null && !values.isEmpty()) {
                        input.set(member.name(), queryValue(memberShape, values, member.name()));
                    }
                }
                case HEADER -> {
                    String value = request.header(member.wireName());
                    if (value != null) {
                        input.set(member.name(), scalar(memberShape, value, member.name()));
                    }
                }
                default -> {
                    // BODY members came from the XML document; HEADERS (prefix maps) are not used by these APIs.
                }
            }
        }
        List<ApiException.FieldError> errors = validator.validate(op.inputShape(), input);
        if (!errors.isEmpty()) {
            throw new ApiException(invalidInputCode, 400, ApiException.validation(errors).getMessage());
        }
        return input;
    }

    private static boolean hasBodyMembers(Shape shape) {
        return shape.members().values().stream().anyMatch(m -> m.location() == Shape.Location.BODY);
    }

    private void readBody(OperationModel op, Shape shape, byte[] body, ObjectNode input) {
        String root = traits.inputRoot(op.name());
        String namespace = traits.namespace();
        if (body == null || body.length == 0) {
            if (shape.required().stream().anyMatch(r -> shape.members().get(r).location() == Shape.Location.BODY)) {
                throw invalid("Invalid XML ; the request has no body: " + op.name() + " takes a <" + root
                        + (namespace == null ? "" : " xmlns=\"" + namespace + "\"") + "> document");
            }
            return;
        }
        Element element;
        try {
            element = SafeXmlParser.parse(body);
        } catch (SafeXmlParser.InvalidXmlException e) {
            throw invalid("Invalid XML ; " + e.getMessage());
        }
        if (!element.getLocalName().equals(root) || !Objects.equals(element.getNamespaceURI(), namespace)) {
            throw invalid("Invalid XML ; the document element must be <" + root + "> in the namespace "
                    + namespace + ", not <" + element.getLocalName() + "> in "
                    + (element.getNamespaceURI() == null ? "no namespace" : element.getNamespaceURI()));
        }
        readStructure(element, shape, input, root, true);
    }

    /** Reads the child elements of {@code element} into {@code target} as members of {@code shape}. */
    private void readStructure(Element element, Shape shape, ObjectNode target, String path, boolean bodyOnly) {
        Map<String, Shape.Member> byElement = new LinkedHashMap<>();
        for (Shape.Member member : shape.members().values()) {
            if (!bodyOnly || member.location() == Shape.Location.BODY) {
                byElement.put(member.wireName(), member);
            }
        }
        Set<String> seen = new HashSet<>();
        for (Node node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node.getNodeType() == Node.TEXT_NODE || node.getNodeType() == Node.CDATA_SECTION_NODE) {
                if (!node.getNodeValue().isBlank()) {
                    throw invalid("Invalid XML ; text is not allowed directly in <" + element.getLocalName()
                            + "> (" + path + ")");
                }
                continue;
            }
            if (node.getNodeType() != Node.ELEMENT_NODE) {
                continue; // comments and processing instructions carry nothing
            }
            Element child = (Element) node;
            checkNamespace(child, path);
            String name = child.getLocalName();
            Shape.Member member = byElement.get(name);
            if (member == null) {
                throw invalid("Invalid XML ; unexpected element <" + name + "> in <" + element.getLocalName()
                        + "> (" + path + "); expected one of " + String.join(", ", byElement.keySet()));
            }
            Shape memberShape = model.shape(member.shape());
            String memberPath = path + "." + member.name();
            boolean flattenedCollection = (memberShape.type() == Shape.Type.LIST || memberShape.type() == Shape.Type.MAP)
                    && traits.flattened(memberShape.name());
            if (flattenedCollection) {
                readFlattenedItem(child, memberShape, target, member.name(), memberPath);
                continue;
            }
            if (!seen.add(name)) {
                throw invalid("Invalid XML ; <" + name + "> appears more than once in <" + element.getLocalName()
                        + "> (" + path + ")");
            }
            target.set(member.name(), read(child, memberShape, memberPath));
        }
    }

    private void readFlattenedItem(Element item, Shape collection, ObjectNode target, String name, String path) {
        if (collection.type() == Shape.Type.LIST) {
            JsonNode existing = target.get(name);
            ArrayNode array = existing instanceof ArrayNode a ? a : target.putArray(name);
            array.add(read(item, model.shape(collection.listMember()), path + "[" + array.size() + "]"));
        } else {
            JsonNode existing = target.get(name);
            ObjectNode map = existing instanceof ObjectNode o ? o : target.putObject(name);
            readMapEntry(item, collection, map, path);
        }
    }

    /** The JSON value of {@code element} as an instance of {@code shape}. */
    private JsonNode read(Element element, Shape shape, String path) {
        switch (shape.type()) {
            case STRUCTURE -> {
                ObjectNode object = JSON.objectNode();
                readStructure(element, shape, object, path, false);
                return object;
            }
            case LIST -> {
                ArrayNode array = JSON.arrayNode();
                String itemName = traits.listMemberName(shape.name());
                Shape itemShape = model.shape(shape.listMember());
                for (Element item : childElements(element, path)) {
                    if (!item.getLocalName().equals(itemName)) {
                        throw invalid("Invalid XML ; unexpected element <" + item.getLocalName() + "> in <"
                                + element.getLocalName() + "> (" + path + "); its items are <" + itemName + ">");
                    }
                    array.add(read(item, itemShape, path + "[" + array.size() + "]"));
                }
                return array;
            }
            case MAP -> {
                ObjectNode map = JSON.objectNode();
                for (Element entry : childElements(element, path)) {
                    if (!entry.getLocalName().equals("entry")) {
                        throw invalid("Invalid XML ; unexpected element <" + entry.getLocalName() + "> in <"
                                + element.getLocalName() + "> (" + path + "); its items are <entry>");
                    }
                    readMapEntry(entry, shape, map, path);
                }
                return map;
            }
            default -> {
                for (Node node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
                    if (node.getNodeType() == Node.ELEMENT_NODE) {
                        throw invalid("Invalid XML ; <" + element.getLocalName() + "> (" + path
                                + ") holds a value, not elements");
                    }
                }
                return scalar(shape, element.getTextContent(), path);
            }
        }
    }

    private void readMapEntry(Element entry, Shape map, ObjectNode target, String path) {
        String keyName = traits.mapKeyName(map.name());
        String valueName = traits.mapValueName(map.name());
        Element key = null;
        Element value = null;
        for (Element part : childElements(entry, path)) {
            if (part.getLocalName().equals(keyName) && key == null) {
                key = part;
            } else if (part.getLocalName().equals(valueName) && value == null) {
                value = part;
            } else {
                throw invalid("Invalid XML ; unexpected element <" + part.getLocalName() + "> in a map entry ("
                        + path + ")");
            }
        }
        if (key == null || value == null) {
            throw invalid("Invalid XML ; a map entry (" + path + ") needs <" + keyName + "> and <" + valueName + ">");
        }
        String keyText = key.getTextContent();
        target.set(keyText, read(value, model.shape(map.mapValue()), path + "." + keyText));
    }

    private List<Element> childElements(Element element, String path) {
        List<Element> children = new ArrayList<>();
        for (Node node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node.getNodeType() == Node.ELEMENT_NODE) {
                checkNamespace((Element) node, path);
                children.add((Element) node);
            } else if ((node.getNodeType() == Node.TEXT_NODE || node.getNodeType() == Node.CDATA_SECTION_NODE)
                    && !node.getNodeValue().isBlank()) {
                throw invalid("Invalid XML ; text is not allowed directly in <" + element.getLocalName() + "> ("
                        + path + ")");
            }
        }
        return children;
    }

    private void checkNamespace(Element element, String path) {
        if (!Objects.equals(element.getNamespaceURI(), traits.namespace())) {
            throw invalid("Invalid XML ; <" + element.getLocalName() + "> (" + path + ") is in "
                    + (element.getNamespaceURI() == null ? "no namespace" : "the namespace "
                    + element.getNamespaceURI()) + ", not " + traits.namespace());
        }
    }

    /** Text (from XML, a URI label, a query parameter or a header) as the JSON type of {@code shape}. */
    private JsonNode scalar(Shape shape, String text, String path) {
        switch (shape.type()) {
            case INTEGER, LONG -> {
                try {
                    return JSON.numberNode(Shape.parseWhole(text.strip()));
                } catch (NumberFormatException e) {
                    throw invalid("Invalid XML ; " + path + " must be a whole number, not '" + text + "'");
                }
            }
            case DOUBLE, FLOAT -> {
                try {
                    return JSON.numberNode(Double.parseDouble(text.strip()));
                } catch (NumberFormatException e) {
                    throw invalid("Invalid XML ; " + path + " must be a number, not '" + text + "'");
                }
            }
            case BOOLEAN -> {
                String v = text.strip();
                if (!v.equals("true") && !v.equals("false")) {
                    throw invalid("Invalid XML ; " + path + " must be true or false, not '" + text + "'");
                }
                return JSON.booleanNode(Boolean.parseBoolean(v));
            }
            case STRUCTURE, LIST, MAP -> throw invalid("Invalid XML ; " + path + " must be a "
                    + shape.type().name().toLowerCase(java.util.Locale.ROOT) + ", not text");
            default -> {
                return JSON.textNode(text);
            }
        }
    }

    private JsonNode queryValue(Shape shape, List<String> values, String path) {
        if (shape.type() == Shape.Type.LIST) {
            ArrayNode array = JSON.arrayNode();
            Shape item = model.shape(shape.listMember());
            for (String v : values) {
                array.add(scalar(item, v, path + "[" + array.size() + "]"));
            }
            return array;
        }
        return scalar(shape, values.get(0), path);
    }

    private ApiException invalid(String message) {
        return new ApiException(invalidInputCode, 400, message);
    }

    // ------------------------------------------------------------------------------------------------ output

    /**
     * Serialises {@code output} for {@code operation}: header members into headers, the others into a
     * {@code <OutputShape xmlns="...">} document, with the operation's success status.
     */
    public ApiResponse output(OperationModel operation, ObjectNode output) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (operation.outputShape() == null || operation.successStatus() == 204) {
            return new ApiResponse(operation.successStatus(), headers, new byte[0]);
        }
        Shape shape = model.shape(operation.outputShape());
        ObjectNode body = output == null ? JSON.objectNode() : output;
        for (Shape.Member member : shape.members().values()) {
            if (member.location() == Shape.Location.HEADER && body.hasNonNull(member.name())) {
                headers.put(member.wireName(), body.get(member.name()).asText());
            }
        }
        XmlText xml = new XmlText();
        xml.declaration().open(shape.name(), traits.namespace());
        writeMembers(xml, shape, body, true);
        xml.close(shape.name());
        headers.put("Content-Type", "text/xml");
        return new ApiResponse(operation.successStatus(), headers, xml.bytes());
    }

    private void writeMembers(XmlText xml, Shape shape, ObjectNode value, boolean bodyOnly) {
        for (Shape.Member member : shape.members().values()) {
            JsonNode v = value.get(member.name());
            if (v == null || v.isNull() || bodyOnly && member.location() != Shape.Location.BODY) {
                continue;
            }
            Shape memberShape = model.shape(member.shape());
            if (memberShape.type() == Shape.Type.LIST && traits.flattened(memberShape.name())) {
                Shape item = model.shape(memberShape.listMember());
                v.forEach(element -> write(xml, member.wireName(), item, element));
            } else {
                write(xml, member.wireName(), memberShape, v);
            }
        }
    }

    private void write(XmlText xml, String name, Shape shape, JsonNode value) {
        switch (shape.type()) {
            case STRUCTURE -> {
                xml.open(name, null);
                if (value instanceof ObjectNode object) {
                    writeMembers(xml, shape, object, false);
                }
                xml.close(name);
            }
            case LIST -> {
                xml.open(name, null);
                Shape item = model.shape(shape.listMember());
                String itemName = traits.listMemberName(shape.name());
                value.forEach(element -> write(xml, itemName, item, element));
                xml.close(name);
            }
            case MAP -> {
                xml.open(name, null);
                Shape valueShape = model.shape(shape.mapValue());
                value.fields().forEachRemaining(e -> {
                    xml.open("entry", null);
                    xml.element(traits.mapKeyName(shape.name()), e.getKey());
                    write(xml, traits.mapValueName(shape.name()), valueShape, e.getValue());
                    xml.close("entry");
                });
                xml.close(name);
            }
            case TIMESTAMP -> xml.element(name, value.isNumber()
                    ? Instant.ofEpochMilli(Math.round(value.asDouble() * 1000)).toString()
                    : value.asText());
            default -> xml.element(name, value.asText());
        }
    }

    // ------------------------------------------------------------------------------------------------ errors

    /**
     * Serialises an error as rest-xml clients read it. Members of the error (beyond {@code message}) that the model's
     * shape of the same name defines are written into {@code <Error>} with the model's element names.
     *
     * @param requestId written as {@code <RequestId>}; omitted when null
     */
    public ApiResponse error(ApiException error, String requestId) {
        XmlText xml = new XmlText();
        xml.declaration().open("ErrorResponse", traits.namespace());
        xml.open("Error", null);
        xml.element("Type", error.status() >= 500 ? "Receiver" : "Sender");
        xml.element("Code", error.code());
        xml.element("Message", error.getMessage() == null ? "" : error.getMessage());
        Shape errorShape = errorShape(error.code());
        if (errorShape != null && !error.members().isEmpty()) {
            ObjectNode members = error.members().deepCopy();
            members.remove("message");
            writeMembers(xml, errorShape, members, false);
        }
        xml.close("Error");
        if (requestId != null) {
            xml.element("RequestId", requestId);
        }
        xml.close("ErrorResponse");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "text/xml");
        return new ApiResponse(error.status(), headers, xml.bytes());
    }

    private Shape errorShape(String code) {
        try {
            Shape shape = model.shape(code);
            return shape.type() == Shape.Type.STRUCTURE ? shape : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A small XML writer: escapes text, replaces characters XML 1.0 cannot carry with U+FFFD. */
    private static final class XmlText {
        private final StringBuilder out = new StringBuilder(256);

        XmlText declaration() {
            out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            return this;
        }

        void open(String name, String namespace) {
            out.append('<').append(name);
            if (namespace != null) {
                out.append(" xmlns=\"");
                escape(namespace, true);
                out.append('"');
            }
            out.append('>');
        }

        void close(String name) {
            out.append("</").append(name).append('>');
        }

        void element(String name, String text) {
            open(name, null);
            escape(text, false);
            close(name);
        }

        private void escape(String text, boolean attribute) {
            for (int i = 0; i < text.length(); ) {
                int c = text.codePointAt(i);
                i += Character.charCount(c);
                switch (c) {
                    case '<' -> out.append("&lt;");
                    case '>' -> out.append("&gt;");
                    case '&' -> out.append("&amp;");
                    case '\r' -> out.append("&#xD;");
                    case '"' -> out.append(attribute ? "&quot;" : "\"");
                    default -> {
                        boolean legal = c == 0x9 || c == 0xA || c >= 0x20 && c <= 0xD7FF
                                || c >= 0xE000 && c <= 0xFFFD || c >= 0x10000 && c <= 0x10FFFF;
                        out.appendCodePoint(legal ? c : 0xFFFD);
                    }
                }
            }
        }

        byte[] bytes() {
            return out.toString().getBytes(StandardCharsets.UTF_8);
        }
    }
}
