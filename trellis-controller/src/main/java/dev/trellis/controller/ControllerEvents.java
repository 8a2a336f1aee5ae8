package dev.trellis.controller;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events ({@code kubectl describe}, {@code kubectl get events}) for what the controller decides: each time a
 * status condition of a Gateway, route or policy changes its status or reason, one Event on that object — type
 * {@code Normal} when the condition became True, {@code Warning} when it became False — with the condition's reason and
 * message. Conditions that stay as they were make no Event, so a resync every few minutes is silent.
 *
 * <p>Events are best effort, as in every controller: a failure to write one (no RBAC for events, the API server busy)
 * is logged and never fails the reconciliation. A repeat of the same Event on the same object (a condition flapping)
 * bumps the existing Event's {@code count} instead of adding a new object.
 */
public final class ControllerEvents {

    static final String COMPONENT = "trellis-controller";
    private static final Logger log = LoggerFactory.getLogger(ControllerEvents.class);
    /** Events remembered for de-duplication; older ones simply get a new Event object. */
    private static final int REMEMBERED = 1024;

    private final KubernetesClient kubernetes;
    private final Clock clock;
    private final String host;
    private final Map<String, String> recent = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED;
        }
    };

    public ControllerEvents(KubernetesClient kubernetes, Clock clock) {
        this.kubernetes = kubernetes;
        this.clock = clock;
        String hostname = System.getenv("HOSTNAME");
        this.host = hostname == null || hostname.isBlank() ? null : hostname;
    }

    /**
     * Compares the conditions of two statuses of {@code object} — at any depth: the status's own, each
     * {@code parents[]} entry's (per parentRef), each {@code listeners[]} entry's (per name) — and records an Event per
     * condition whose status or reason changed.
     */
    public void statusChanged(HasMetadata object, Object before, Object after) {
        Map<String, JsonNode> old = conditions(before);
        conditions(after).forEach((key, condition) -> {
            JsonNode previous = old.get(key);
            String status = text(condition, "status");
            String reason = text(condition, "reason");
            if (previous != null && Objects.equals(status, text(previous, "status"))
                    && Objects.equals(reason, text(previous, "reason"))) {
                return;
            }
            String where = key.substring(0, key.lastIndexOf('|'));
            String message = text(condition, "message");
            String summary = text(condition, "type") + "=" + status + (where.isEmpty() ? "" : " (" + where + ")")
                    + (message == null || message.isEmpty() ? "" : ": " + message);
            record(object, "True".equals(status) ? "Normal" : "Warning", reason == null ? "Unknown" : reason, summary);
        });
    }

    /** One Event on {@code object}; {@code type} is {@code Normal} or {@code Warning}. */
    public void record(HasMetadata object, String type, String reason, String message) {
        String namespace = object.getMetadata().getNamespace() == null ? "default" : object.getMetadata().getNamespace();
        String key = object.getMetadata().getUid() + "|" + type + "|" + reason + "|" + message;
        String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        try {
            String existing;
            synchronized (recent) {
                existing = recent.get(key);
            }
            if (existing != null && bump(namespace, existing, now)) {
                return;
            }
            String name = object.getMetadata().getName() + "." + Long.toHexString(
                    clock.millis() * 1_000_000L + ThreadLocalRandom.current().nextInt(1_000_000));
            Event event = new EventBuilder()
                    .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                    .withNewInvolvedObject()
                    .withApiVersion(object.getApiVersion())
                    .withKind(object.getKind())
                    .withName(object.getMetadata().getName())
                    .withNamespace(object.getMetadata().getNamespace())
                    .withUid(object.getMetadata().getUid())
                    .withResourceVersion(object.getMetadata().getResourceVersion())
                    .endInvolvedObject()
                    .withType(type)
                    .withReason(reason)
                    .withMessage(message.length() > 1024 ? message.substring(0, 1021) + "..." : message)
                    .withNewSource().withComponent(COMPONENT).withHost(host).endSource()
                    .withReportingComponent(COMPONENT)
                    .withReportingInstance(host)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withCount(1)
                    .build();
            kubernetes.v1().events().inNamespace(namespace).resource(event).create();
            synchronized (recent) {
                recent.put(key, name);
            }
        } catch (KubernetesClientException e) {
            log.warn("could not record event {} {} on {} {}/{}: {}", type, reason, object.getKind(), namespace,
                    object.getMetadata().getName(), e.getMessage());
        }
    }

    private boolean bump(String namespace, String name, String now) {
        try {
            Event updated = kubernetes.v1().events().inNamespace(namespace).withName(name).edit(e -> {
                e.setCount(e.getCount() == null ? 2 : e.getCount() + 1);
                e.setLastTimestamp(now);
                return e;
            });
            return updated != null;
        } catch (KubernetesClientException e) {
            return false; // gone (events expire after an hour by default): write a new one
        }
    }

    /** Every condition in a status, keyed by where it sits and its type ({@code "parent default/gw|Accepted"}). */
    static Map<String, JsonNode> conditions(Object status) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        if (status != null) {
            collect(Serialization.jsonMapper().valueToTree(status), "", out);
        }
        return out;
    }

    private static void collect(JsonNode node, String where, Map<String, JsonNode> out) {
        if (node.isArray()) {
            node.forEach(element -> collect(element, where, out));
            return;
        }
        if (!node.isObject()) {
            return;
        }
        String here = where;
        if (node.has("parentRef")) {
            JsonNode ref = node.get("parentRef");
            here = "parent " + (ref.hasNonNull("namespace") ? ref.get("namespace").asText() + "/" : "")
                    + text(ref, "name") + (ref.hasNonNull("sectionName") ? "/" + ref.get("sectionName").asText() : "");
        } else if (node.has("name") && node.has("conditions")) {
            here = "listener " + text(node, "name");
        }
        JsonNode conditions = node.get("conditions");
        if (conditions != null && conditions.isArray()) {
            for (JsonNode condition : conditions) {
                out.put(here + "|" + text(condition, "type"), condition);
            }
        }
        for (var fields = node.fields(); fields.hasNext(); ) {
            var field = fields.next();
            if (!"conditions".equals(field.getKey()) && !"parentRef".equals(field.getKey())) {
                collect(field.getValue(), here, out);
            }
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
