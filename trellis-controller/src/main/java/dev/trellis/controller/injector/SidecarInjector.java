package dev.trellis.controller.injector;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admission logic of {@code trellis injector}: one {@code admission.k8s.io/v1} AdmissionReview in, the answer out.
 * It does no I/O of its own except asking {@code namespaceLabels} for the labels of the pod's namespace, so it is
 * used by {@link InjectorServer} and directly by tests alike.
 *
 * <p>Answers follow the admission API: a body that is not an AdmissionReview v1 with a {@code request.uid} cannot be
 * answered with a review (the answer must echo the uid), so it gets HTTP 400 and a one-line reason, which the API server
 * reports as a failed webhook call. A review that can be answered but asks something impossible (an object that is not a
 * Pod, a malformed annotation) gets {@code allowed: false} with status 400 and a message naming the field, which
 * {@code kubectl} and the ReplicaSet's events show to the user. Pods that need nothing are allowed unchanged with a
 * warning saying why.
 */
public final class SidecarInjector {

    private static final Logger log = LoggerFactory.getLogger(SidecarInjector.class);

    /** The container's name, as aws-sigv4-proxy-admission-controller names it. */
    public static final String CONTAINER_NAME = "sidecar-aws-sigv4-proxy";
    /** The port the sidecar listens on; the walkthrough's frontend calls {@code localhost:8005}. */
    public static final int PROXY_PORT = 8005;
    public static final String API_VERSION = "admission.k8s.io/v1";
    /** The volume holding the CA certificate the sidecar trusts, and where it is mounted. */
    public static final String CA_VOLUME = "trellis-sidecar-ca";
    public static final String CA_DIRECTORY = "/etc/trellis-sidecar-ca";

    private final InjectorConfig config;
    private final Function<String, Map<String, String>> namespaceLabels;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param namespaceLabels the labels of a namespace by name (empty when it has none); it may throw, in which case
     *     only the pod's annotations count and the answer carries a warning
     */
    public SidecarInjector(InjectorConfig config, Function<String, Map<String, String>> namespaceLabels) {
        this.config = Objects.requireNonNull(config, "config");
        this.namespaceLabels = Objects.requireNonNull(namespaceLabels, "namespaceLabels");
    }

    /** An answer: the HTTP status, its content type and body. */
    public record Answer(int status, String contentType, byte[] body) {
        static Answer badRequest(String message) {
            return new Answer(400, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Answers one request body (already limited in size by the caller). Never throws. */
    public Answer review(byte[] body) {
        JsonNode review;
        try {
            review = json.readTree(body);
        } catch (Exception e) {
            return Answer.badRequest("not an AdmissionReview: the body is not JSON (" + firstLine(e) + ")");
        }
        if (review == null || !review.isObject()) {
            return Answer.badRequest("not an AdmissionReview: the body is not a JSON object");
        }
        String apiVersion = review.path("apiVersion").asText("");
        String kind = review.path("kind").asText("");
        if (!kind.equals("AdmissionReview")) {
            return Answer.badRequest("not an AdmissionReview: kind is '" + kind + "'");
        }
        if (!apiVersion.equals(API_VERSION)) {
            return Answer.badRequest("AdmissionReview " + apiVersion + " is not served: this webhook speaks "
                    + API_VERSION + " (set admissionReviewVersions: [v1] in the MutatingWebhookConfiguration)");
        }
        JsonNode request = review.get("request");
        if (request == null || !request.isObject()) {
            return Answer.badRequest("AdmissionReview has no request");
        }
        String uid = request.path("uid").asText("");
        if (uid.isBlank()) {
            return Answer.badRequest("AdmissionReview request has no uid");
        }
        try {
            return decide(uid, request);
        } catch (RuntimeException e) {
            // A bug must cost one pod its sidecar (failurePolicy decides), never the server.
            log.error("review {} failed", uid, e);
            return respond(uid, refused(500, "the injector failed on this pod: " + firstLine(e)), List.of());
        }
    }

    private Answer decide(String uid, JsonNode request) {
        JsonNode requestKind = request.path("kind");
        String group = requestKind.path("group").asText("");
        String kind = requestKind.path("kind").asText("");
        JsonNode pod = request.get("object");
        if (!(group.isEmpty() && kind.equals("Pod")) || pod == null || !pod.isObject()
                || !pod.path("kind").asText("Pod").equals("Pod")) {
            String what = kind.isEmpty() ? pod == null || pod.isNull() ? "no object" : "an object of unknown kind"
                    : (group.isEmpty() ? "" : group + "/") + kind;
            return respond(uid, refused(400, "this webhook mutates Pods only, got " + what
                    + " (the MutatingWebhookConfiguration's rules should name pods)"), List.of());
        }
        String operation = request.path("operation").asText("");
        if (!operation.equals("CREATE")) {
            return respond(uid, allowed(), List.of("sidecar not injected: operation " + operation
                    + " (only CREATE is mutated)"));
        }
        JsonNode containers = pod.path("spec").path("containers");
        if (!containers.isArray()) {
            return respond(uid, refused(400, "the Pod has no spec.containers list"), List.of());
        }
        Map<String, String> annotations = stringMap(pod.path("metadata").path("annotations"));
        String namespace = request.path("namespace").asText(pod.path("metadata").path("namespace").asText(""));
        List<String> warnings = new ArrayList<>();
        Map<String, String> labels = Map.of();
        if (!namespace.isEmpty()) {
            try {
                labels = namespaceLabels.apply(namespace);
            } catch (RuntimeException e) {
                log.warn("labels of namespace {} unreadable, deciding on the pod's annotations only: {}", namespace,
                        firstLine(e));
                warnings.add("labels of namespace " + namespace + " unreadable; only the pod's annotations were used");
            }
        }
        SidecarSettings.Decision decision = SidecarSettings.decide(annotations, labels);
        String podName = podName(pod, namespace);
        if (decision.refusal() != null) {
            log.info("pod {} refused: {}", podName, decision.refusal());
            return respond(uid, refused(400, decision.refusal()), warnings);
        }
        if (decision.inject().isEmpty()) {
            log.info("pod {} not injected: {}", podName, decision.skipReason());
            warnings.add("sidecar not injected: " + decision.skipReason());
            return respond(uid, allowed(), warnings);
        }
        for (JsonNode container : containers) {
            if (CONTAINER_NAME.equals(container.path("name").asText())) {
                log.info("pod {} not injected: it already has a container {}", podName, CONTAINER_NAME);
                warnings.add("sidecar not injected: the pod already has a container named " + CONTAINER_NAME);
                return respond(uid, allowed(), warnings);
            }
        }
        SidecarSettings settings = decision.inject().get();
        ArrayNode patch = json.createArrayNode();
        ObjectNode sidecar = container(settings);
        shareCredentials(containers, sidecar);
        patch.addObject().put("op", "add").put("path", "/spec/containers/-").set("value", sidecar);
        if (config.caConfigMap() != null) {
            ObjectNode volume = json.createObjectNode().put("name", CA_VOLUME);
            volume.putObject("configMap").put("name", config.caConfigMap());
            JsonNode volumes = pod.path("spec").path("volumes");
            if (volumes.isArray()) {
                for (JsonNode existing : volumes) {
                    if (CA_VOLUME.equals(existing.path("name").asText())) {
                        return respond(uid, refused(400, "the pod already has a volume named " + CA_VOLUME
                                + ", which the sidecar's CA certificate needs"), warnings);
                    }
                }
                patch.addObject().put("op", "add").put("path", "/spec/volumes/-").set("value", volume);
            } else {
                patch.addObject().put("op", "add").put("path", "/spec/volumes").putArray("value").add(volume);
            }
        }
        if (pod.path("metadata").path("annotations").isObject()) {
            patch.addObject().put("op", "add").put("path", "/metadata/annotations/" + pointerToken(SidecarSettings.STATUS))
                    .put("value", SidecarSettings.STATUS_INJECTED);
        } else {
            ObjectNode value = json.createObjectNode().put(SidecarSettings.STATUS, SidecarSettings.STATUS_INJECTED);
            if (!pod.path("metadata").isObject()) {
                patch.addObject().put("op", "add").put("path", "/metadata").set("value", json.createObjectNode());
            }
            patch.addObject().put("op", "add").put("path", "/metadata/annotations").set("value", value);
        }
        log.info("pod {}: injecting {}", podName, settings);
        ObjectNode response = allowed();
        response.put("patchType", "JSONPatch");
        try {
            response.put("patch", Base64.getEncoder().encodeToString(json.writeValueAsBytes(patch)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return respond(uid, response, warnings);
    }

    /** The sidecar container: {@code trellis sigv4-proxy} (or the configured image's own entrypoint) on :8005. */
    private ObjectNode container(SidecarSettings settings) {
        ObjectNode container = json.createObjectNode();
        container.put("name", CONTAINER_NAME);
        container.put("image", config.image());
        container.put("imagePullPolicy", config.imagePullPolicy());
        ArrayNode args = container.putArray("args");
        config.subcommand().forEach(args::add);
        settings.proxyArguments(PROXY_PORT).forEach(args::add);
        config.extraArguments().forEach(args::add);
        if (config.caConfigMap() != null) {
            args.add("--ca-certificate=" + CA_DIRECTORY + "/ca.pem");
            container.putArray("volumeMounts").addObject().put("name", CA_VOLUME).put("mountPath", CA_DIRECTORY)
                    .put("readOnly", true);
        }
        ObjectNode port = container.putArray("ports").addObject();
        port.put("name", "sigv4-proxy");
        port.put("containerPort", PROXY_PORT);
        port.put("protocol", "TCP");
        return container;
    }

    /**
     * Gives the sidecar the web identity the app's first container has: its {@code AWS_*} variables
     * ({@code AWS_ROLE_ARN}, {@code AWS_WEB_IDENTITY_TOKEN_FILE}, {@code AWS_REGION}, ...) and the mounts that hold the
     * token file. EKS's pod identity webhook puts them on the containers it sees, which may be before this webhook
     * added the sidecar; on other clusters the pod spec sets them (a projected service-account token). Without this
     * the sidecar could only sign with credentials the node gives.
     */
    private void shareCredentials(JsonNode containers, ObjectNode sidecar) {
        if (containers.isEmpty()) {
            return;
        }
        JsonNode app = containers.get(0);
        ArrayNode env = json.createArrayNode();
        String tokenFile = null;
        for (JsonNode variable : app.path("env")) {
            String name = variable.path("name").asText("");
            if (name.startsWith("AWS_")) {
                env.add(variable.deepCopy());
                if (name.equals("AWS_WEB_IDENTITY_TOKEN_FILE")) {
                    tokenFile = variable.path("value").asText(null);
                }
            }
        }
        if (!env.isEmpty()) {
            sidecar.set("env", env);
        }
        if (tokenFile != null) {
            ArrayNode mounts = sidecar.has("volumeMounts") ? (ArrayNode) sidecar.get("volumeMounts")
                    : json.createArrayNode();
            for (JsonNode mount : app.path("volumeMounts")) {
                String path = mount.path("mountPath").asText("");
                if (!path.isEmpty() && tokenFile.startsWith(path.endsWith("/") ? path : path + "/")) {
                    ObjectNode copy = mount.deepCopy();
                    copy.put("readOnly", true);
                    mounts.add(copy);
                }
            }
            if (!mounts.isEmpty()) {
                sidecar.set("volumeMounts", mounts);
            }
        }
    }

    /** The sidecar's arguments for these annotations and namespace labels, or empty: what a pod would get. */
    public List<String> containerArguments(Map<String, String> annotations, Map<String, String> labels) {
        return SidecarSettings.decide(annotations, labels).inject()
                .map(s -> {
                    List<String> all = new ArrayList<>(config.subcommand());
                    all.addAll(s.proxyArguments(PROXY_PORT));
                    all.addAll(config.extraArguments());
                    if (config.caConfigMap() != null) {
                        all.add("--ca-certificate=" + CA_DIRECTORY + "/ca.pem");
                    }
                    return all;
                })
                .orElse(List.of());
    }

    private ObjectNode allowed() {
        return json.createObjectNode().put("allowed", true);
    }

    private ObjectNode refused(int code, String message) {
        ObjectNode response = json.createObjectNode().put("allowed", false);
        response.putObject("status").put("code", code).put("message", message);
        return response;
    }

    private Answer respond(String uid, ObjectNode response, List<String> warnings) {
        ObjectNode review = json.createObjectNode();
        review.put("apiVersion", API_VERSION);
        review.put("kind", "AdmissionReview");
        ObjectNode body = review.putObject("response");
        body.put("uid", uid);
        body.setAll(response);
        if (!warnings.isEmpty()) {
            ArrayNode list = body.putArray("warnings");
            warnings.forEach(list::add);
        }
        try {
            return new Answer(200, "application/json", json.writeValueAsBytes(review));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> stringMap(JsonNode node) {
        Map<String, String> map = new LinkedHashMap<>();
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().isTextual()
                    ? e.getValue().asText() : e.getValue().toString()));
        }
        return map;
    }

    private static String podName(JsonNode pod, String namespace) {
        JsonNode metadata = pod.path("metadata");
        String name = metadata.path("name").asText("");
        if (name.isEmpty()) {
            // Pods of a ReplicaSet have only generateName at admission time.
            name = metadata.path("generateName").asText("") + "<generated>";
        }
        return namespace + "/" + name;
    }

    /** RFC 6901: '~' and '/' in a key are escaped as ~0 and ~1. */
    static String pointerToken(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static String firstLine(Throwable e) {
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
