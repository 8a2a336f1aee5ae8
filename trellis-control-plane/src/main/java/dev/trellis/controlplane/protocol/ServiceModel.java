package dev.trellis.controlplane.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An AWS service model loaded from one of the committed digests ({@link AwsModelDigest}): operations by name and
 * shapes by name. Immutable after loading.
 */
public final class ServiceModel {

    private final String signingName;
    private final String protocol;
    private final String apiVersion;
    private final String targetPrefix;
    private final Map<String, OperationModel> operations;
    private final Map<String, Shape> shapes;

    private ServiceModel(String signingName, String protocol, String apiVersion, String targetPrefix,
                         Map<String, OperationModel> operations, Map<String, Shape> shapes) {
        this.signingName = signingName;
        this.protocol = protocol;
        this.apiVersion = apiVersion;
        this.targetPrefix = targetPrefix;
        this.operations = operations;
        this.shapes = shapes;
    }

    /** Loads {@code models/<name>.json} from this package's resources. */
    public static ServiceModel load(String name) {
        return fromJson(readDigest(name));
    }

    /** The committed digest {@code models/<name>.json} as JSON, for protocol bindings that need more of it. */
    static JsonNode readDigest(String name) {
        String resource = "/dev/trellis/controlplane/models/" + name + ".json";
        try (InputStream in = ServiceModel.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no service model " + resource);
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read service model " + resource, e);
        }
    }

    static ServiceModel fromJson(JsonNode model) {
        JsonNode metadata = model.path("metadata");
        Map<String, Shape> shapes = new LinkedHashMap<>();
        model.path("shapes").fields().forEachRemaining(e -> shapes.put(e.getKey(), shape(e.getKey(), e.getValue())));
        Map<String, OperationModel> operations = new LinkedHashMap<>();
        model.path("operations").fields().forEachRemaining(e -> {
            JsonNode op = e.getValue();
            JsonNode http = op.path("http");
            operations.put(e.getKey(), new OperationModel(
                    e.getKey(),
                    http.path("method").asText("POST"),
                    UriTemplate.parse(http.path("requestUri").asText("/")),
                    http.path("responseCode").asInt(200),
                    op.path("input").path("shape").asText(null),
                    op.path("output").path("shape").asText(null)));
        });
        return new ServiceModel(
                metadata.path("signingName").asText(metadata.path("endpointPrefix").asText()),
                metadata.path("protocol").asText(),
                metadata.path("apiVersion").asText(),
                metadata.path("targetPrefix").asText(null),
                Collections.unmodifiableMap(operations),
                Collections.unmodifiableMap(shapes));
    }

    private static Shape shape(String name, JsonNode node) {
        Map<String, Shape.Member> members = new LinkedHashMap<>();
        node.path("members").fields().forEachRemaining(e -> {
            JsonNode m = e.getValue();
            String location = m.path("location").asText("body");
            members.put(e.getKey(), new Shape.Member(
                    e.getKey(),
                    m.path("shape").asText(),
                    Shape.Location.valueOf(location.toUpperCase(java.util.Locale.ROOT)),
                    m.path("locationName").asText(e.getKey()),
                    m.path("idempotencyToken").asBoolean(false)));
        });
        Set<String> required = new LinkedHashSet<>();
        node.path("required").forEach(r -> required.add(r.asText()));
        List<String> enumValues = new ArrayList<>();
        node.path("enum").forEach(v -> enumValues.add(v.asText()));
        return new Shape(
                name,
                Shape.Type.of(node.path("type").asText()),
                Collections.unmodifiableMap(members),
                Collections.unmodifiableSet(required),
                node.has("min") ? node.get("min").asLong() : null,
                node.has("max") ? node.get("max").asLong() : null,
                node.has("pattern") ? compilePattern(node.get("pattern").asText()) : null,
                List.copyOf(enumValues),
                node.path("member").path("shape").asText(null),
                node.path("key").path("shape").asText(null),
                node.path("value").path("shape").asText(null),
                node.path("union").asBoolean(false),
                node.path("error").path("httpStatusCode").asInt(0));
    }

    /**
     * Compiles a model pattern. Models write the supplementary code points as a range of six-hex-digit escapes
     * (backslash-u 10000 to backslash-u 10FFFF), which Java reads as a four-digit escape followed by a digit; the
     * range is rewritten with {@code \\x{...}} escapes.
     */
    static Pattern compilePattern(String pattern) {
        return Pattern.compile(pattern.replace("\\u10000-\\u10FFFF", "\\x{10000}-\\x{10FFFF}"));
    }

    public String signingName() {
        return signingName;
    }

    public String protocol() {
        return protocol;
    }

    public String apiVersion() {
        return apiVersion;
    }

    /** The {@code X-Amz-Target} prefix of a JSON-protocol service ({@code CertificateManager}); null for REST. */
    public String targetPrefix() {
        return targetPrefix;
    }

    public Collection<OperationModel> operations() {
        return operations.values();
    }

    public OperationModel operation(String name) {
        OperationModel op = operations.get(name);
        if (op == null) {
            throw new IllegalArgumentException("no operation " + name + " in the " + signingName + " model");
        }
        return op;
    }

    public Shape shape(String name) {
        Shape shape = shapes.get(name);
        if (shape == null) {
            throw new IllegalArgumentException("no shape " + name + " in the " + signingName + " model");
        }
        return shape;
    }
}
