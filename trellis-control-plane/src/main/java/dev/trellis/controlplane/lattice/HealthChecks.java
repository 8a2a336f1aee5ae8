package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Target-group health-check settings with Lattice's defaults (lattice-facts §5): a numeric field of 0 (or a missing
 * one on creation) takes its default; an explicit value must be in Lattice's range.
 */
final class HealthChecks {

    private record Numeric(String field, int min, int max, int defaultValue, String unit) {
    }

    private static final Numeric[] NUMERIC = {
        new Numeric("healthCheckIntervalSeconds", 5, 300, 30, " seconds"),
        new Numeric("healthCheckTimeoutSeconds", 1, 120, 5, " seconds"),
        new Numeric("healthyThresholdCount", 2, 10, 5, ""),
        new Numeric("unhealthyThresholdCount", 2, 10, 2, ""),
    };

    static final String DEFAULT_PATH = "/";
    /** Lattice's default matcher, as its API answers (AWS CLI example output). */
    static final String DEFAULT_HTTP_CODE = "200";

    private HealthChecks() {
    }

    /** The defaults for a target group of this protocol and protocol version. */
    static ObjectNode defaults(String groupProtocol, String groupProtocolVersion) {
        ObjectNode hc = Documents.object();
        // On for HTTP/1.1 groups; off for HTTP2, GRPC and TCP groups (lattice-facts §5).
        hc.put("enabled", "HTTP1".equals(groupProtocolVersion) && !"TCP".equals(groupProtocol));
        hc.put("protocol", "HTTPS".equals(groupProtocol) ? "HTTPS" : "HTTP");
        hc.put("protocolVersion", "HTTP1");
        hc.put("path", DEFAULT_PATH);
        for (Numeric n : NUMERIC) {
            hc.put(n.field(), n.defaultValue());
        }
        hc.putObject("matcher").put("httpCode", DEFAULT_HTTP_CODE);
        return hc;
    }

    /**
     * {@code current} with the settings of {@code requested} applied.
     *
     * @param field the member path of {@code requested}, for errors ({@code config.healthCheck})
     */
    static ObjectNode apply(ObjectNode current, JsonNode requested, String field) {
        ObjectNode hc = current.deepCopy();
        if (requested == null || requested.isNull()) {
            return hc;
        }
        for (String copied : new String[] {"enabled", "protocol", "protocolVersion", "matcher"}) {
            if (Documents.has(requested, copied)) {
                hc.set(copied, requested.get(copied).deepCopy());
            }
        }
        if (Documents.has(requested, "path")) {
            String path = requested.get("path").asText();
            hc.put("path", path.isEmpty() ? DEFAULT_PATH : path);
        }
        if (Documents.has(requested, "port")) {
            int port = requested.get("port").asInt();
            if (port == 0) {
                hc.remove("port"); // the target's traffic port
            } else {
                hc.put("port", port);
            }
        }
        for (Numeric n : NUMERIC) {
            if (Documents.has(requested, n.field())) {
                int value = requested.get(n.field()).asInt();
                if (value == 0) {
                    hc.put(n.field(), n.defaultValue());
                } else if (value < n.min() || value > n.max()) {
                    throw LatticeErrors.invalid(field + "." + n.field(), "must be " + n.min() + "-" + n.max()
                            + n.unit() + " (or 0 for the default of " + n.defaultValue() + "), not " + value);
                } else {
                    hc.put(n.field(), value);
                }
            }
        }
        if (hc.path("matcher").path("httpCode").asText("").isEmpty()) {
            hc.putObject("matcher").put("httpCode", DEFAULT_HTTP_CODE);
        }
        return hc;
    }
}
