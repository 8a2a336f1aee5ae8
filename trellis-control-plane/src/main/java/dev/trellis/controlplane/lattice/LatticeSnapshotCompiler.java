package dev.trellis.controlplane.lattice;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.HttpMatch;
import dev.trellis.model.snapshot.ListenerRule;
import dev.trellis.model.snapshot.RuleAction;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.TargetGroupEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the Lattice state one VPC's gateways need out of the store (the layout is in DESIGN.md): the services
 * reachable from the VPC — those associated with the service network the VPC is associated with — with their
 * listeners, rules in evaluation order and access-log destinations, and the target groups those rules use, with
 * targets and health checks for the groups that live in the VPC. Every target group that lives in the VPC and that
 * some service's rule uses is included too, reachable or not: the VPC's gateways serve it for the fabric, whatever
 * the VPC itself is associated with.
 */
public final class LatticeSnapshotCompiler {

    /** Lattice's idle timeout; the API model has no setting for it yet (lattice-facts §1). */
    static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
    private static final int PAGE = 1000;

    /**
     * What the compiler found for a VPC.
     *
     * @param nextChangeAt when the content changes without a write (the first draining target is gone), or null
     */
    public record Reachable(List<ServiceEntry> services, List<TargetGroupEntry> targetGroups, Instant nextChangeAt) {
    }

    private LatticeSnapshotCompiler() {
    }

    /** The VPC's state at {@code now} (which decides which draining targets are still there). */
    public static Reachable compile(StoreTransaction tx, String vpcId, Instant now) {
        List<ServiceEntry> services = new ArrayList<>();
        Map<String, TargetGroupEntry> groups = new LinkedHashMap<>();
        Instant[] nextChange = {null};
        Optional<StoredResource> association = all(tx, ResourceKind.SERVICE_NETWORK_VPC_ASSOCIATION, null).stream()
                .filter(a -> vpcId.equals(a.name()))
                .findFirst();
        if (association.isPresent()) {
            reachableServices(tx, association.get(), vpcId, now, services, groups, nextChange);
        }
        // The groups living in this VPC that serve some service: the fabric brings their requests here.
        for (StoredResource group : all(tx, ResourceKind.TARGET_GROUP, null)) {
            JsonNode doc = group.document();
            if (!groups.containsKey(group.id())
                    && vpcId.equals(doc.path("config").path("vpcIdentifier").asText())
                    && !RuleActions.serviceArns(doc).isEmpty()) {
                groups.put(group.id(), targetGroup(group, vpcId, now, nextChange));
            }
        }
        return new Reachable(services, List.copyOf(groups.values()), nextChange[0]);
    }

    private static void reachableServices(StoreTransaction tx, StoredResource association, String vpcId, Instant now,
                                          List<ServiceEntry> services, Map<String, TargetGroupEntry> groups,
                                          Instant[] nextChange) {
        StoredResource network = tx.get(ResourceKind.SERVICE_NETWORK.storeKind(), association.parentId())
                .orElseThrow(() -> new IllegalStateException("association " + association.id()
                        + " names a missing service network"));
        AuthLevel networkAuth = auth(network);
        List<String> networkLogs = accessLogDestinations(tx, network.id());
        for (StoredResource serviceAssociation : all(tx, ResourceKind.SERVICE_NETWORK_SERVICE_ASSOCIATION,
                network.id())) {
            Optional<StoredResource> service = tx.get(ResourceKind.SERVICE.storeKind(), serviceAssociation.name());
            if (service.isPresent()) {
                services.add(service(tx, service.get(), network, networkAuth, networkLogs, vpcId, now, groups,
                        nextChange));
            }
        }
    }

    /** The destination ARNs of the access-log subscriptions of a service or service network, in creation order. */
    private static List<String> accessLogDestinations(StoreTransaction tx, String resourceId) {
        List<String> destinations = new ArrayList<>();
        for (StoredResource subscription : all(tx, ResourceKind.ACCESS_LOG_SUBSCRIPTION, resourceId)) {
            String arn = Documents.text(subscription.document(), "destinationArn");
            if (arn != null) {
                destinations.add(arn);
            }
        }
        return destinations;
    }

    private static ServiceEntry service(StoreTransaction tx, StoredResource service, StoredResource network,
                                        AuthLevel networkAuth, List<String> networkLogs, String vpcId, Instant now,
                                        Map<String, TargetGroupEntry> groups, Instant[] nextChange) {
        JsonNode doc = service.document();
        List<String> logs = new ArrayList<>(accessLogDestinations(tx, service.id()));
        networkLogs.stream().filter(d -> !logs.contains(d)).forEach(logs::add);
        List<ServiceListener> listeners = new ArrayList<>();
        for (StoredResource listener : all(tx, ResourceKind.LISTENER, service.id())) {
            List<ListenerRule> rules = new ArrayList<>();
            for (StoredResource rule : all(tx, ResourceKind.RULE, listener.id())) {
                ListenerRule compiled = rule(rule.document());
                rules.add(compiled);
                for (RuleAction.WeightedTargetGroup forward : compiled.action().forward()) {
                    groups.computeIfAbsent(forward.targetGroupId(), id -> targetGroup(
                            tx.get(ResourceKind.TARGET_GROUP.storeKind(), id).orElseThrow(() ->
                                    new IllegalStateException("a rule forwards to the missing target group " + id)),
                            vpcId, now, nextChange));
                }
            }
            rules.sort(Comparator.comparing(ListenerRule::isDefault)
                    .thenComparing(r -> r.priority() == null ? Integer.MAX_VALUE : r.priority()));
            JsonNode l = listener.document();
            listeners.add(new ServiceListener(listener.id(), listener.arn(), l.path("protocol").asText(),
                    l.path("port").asInt(), rules));
        }
        return new ServiceEntry(service.id(), service.arn(), service.name(),
                doc.path("dnsEntry").path("domainName").asText(),
                Documents.text(doc, "customDomainName"), Documents.text(doc, "certificateArn"),
                network.id(), network.arn(), networkAuth, auth(service), DEFAULT_IDLE_TIMEOUT_SECONDS, listeners,
                logs);
    }

    private static ListenerRule rule(JsonNode doc) {
        boolean isDefault = doc.path("isDefault").asBoolean(false);
        return new ListenerRule(Documents.text(doc, "id"), Documents.text(doc, "arn"),
                isDefault ? null : doc.path("priority").asInt(), isDefault,
                isDefault ? null : match(doc.path("match").path("httpMatch")), action(doc.path("action")));
    }

    private static HttpMatch match(JsonNode http) {
        HttpMatch.PathMatch path = null;
        JsonNode pathMatch = http.path("pathMatch");
        if (pathMatch.isObject()) {
            JsonNode m = pathMatch.path("match");
            boolean prefix = m.has("prefix");
            path = new HttpMatch.PathMatch(m.path(prefix ? "prefix" : "exact").asText(), prefix,
                    pathMatch.path("caseSensitive").asBoolean(false));
        }
        List<HttpMatch.HeaderMatch> headers = new ArrayList<>();
        for (JsonNode h : http.path("headerMatches")) {
            JsonNode m = h.path("match");
            HttpMatch.HeaderMatchType type = m.has("exact") ? HttpMatch.HeaderMatchType.EXACT
                    : m.has("prefix") ? HttpMatch.HeaderMatchType.PREFIX : HttpMatch.HeaderMatchType.CONTAINS;
            String value = m.path(type.name().toLowerCase(java.util.Locale.ROOT)).asText();
            headers.add(new HttpMatch.HeaderMatch(h.path("name").asText(), type, value,
                    h.path("caseSensitive").asBoolean(false)));
        }
        return new HttpMatch(Documents.text(http, "method"), path, headers);
    }

    private static RuleAction action(JsonNode action) {
        if (action.has("fixedResponse")) {
            return RuleAction.fixedResponse(action.path("fixedResponse").path("statusCode").asInt());
        }
        List<RuleAction.WeightedTargetGroup> forward = new ArrayList<>();
        for (JsonNode g : action.path("forward").path("targetGroups")) {
            forward.add(new RuleAction.WeightedTargetGroup(g.path("targetGroupIdentifier").asText(),
                    g.path("weight").asInt()));
        }
        return RuleAction.forward(forward);
    }

    private static TargetGroupEntry targetGroup(StoredResource group, String vpcId, Instant now,
                                                Instant[] nextChange) {
        JsonNode doc = group.document();
        JsonNode config = doc.path("config");
        String groupVpc = config.path("vpcIdentifier").asText("");
        boolean local = groupVpc.equals(vpcId);
        TargetGroupEntry.HealthCheck healthCheck = null;
        List<TargetGroupEntry.Target> targets = List.of();
        if (local) {
            JsonNode hc = config.path("healthCheck");
            healthCheck = new TargetGroupEntry.HealthCheck(hc.path("enabled").asBoolean(false),
                    hc.path("protocol").asText("HTTP"), hc.path("protocolVersion").asText("HTTP1"),
                    hc.path("port").asInt(0), hc.path("path").asText("/"),
                    hc.path("healthCheckIntervalSeconds").asInt(30), hc.path("healthCheckTimeoutSeconds").asInt(5),
                    hc.path("healthyThresholdCount").asInt(5), hc.path("unhealthyThresholdCount").asInt(2),
                    hc.path("matcher").path("httpCode").asText("200"));
            List<TargetGroupEntry.Target> list = new ArrayList<>();
            int defaultPort = config.path("port").asInt(80);
            for (JsonNode t : doc.path(Targets.FIELD)) {
                if (!Targets.drained(t, now)) {
                    list.add(new TargetGroupEntry.Target(t.path("id").asText(), t.path("port").asInt(defaultPort),
                            Targets.draining(t, now)));
                }
            }
            targets = list;
            Instant drainEnd = Targets.nextDrainEnd(doc, now);
            if (drainEnd != null && (nextChange[0] == null || drainEnd.isBefore(nextChange[0]))) {
                nextChange[0] = drainEnd;
            }
        }
        return new TargetGroupEntry(group.id(), group.arn(), doc.path("type").asText(),
                config.path("protocol").asText("HTTP"), config.path("protocolVersion").asText("HTTP1"),
                config.path("port").asInt(80), groupVpc, healthCheck, targets);
    }

    private static AuthLevel auth(StoredResource resource) {
        JsonNode doc = resource.document();
        return new AuthLevel(doc.path("authType").asText("NONE"),
                Documents.text(doc.path(PolicyOperations.AUTH_POLICY), "policy"));
    }

    private static List<StoredResource> all(StoreTransaction tx, ResourceKind kind, String parentId) {
        List<StoredResource> result = new ArrayList<>();
        long after = 0;
        while (true) {
            List<StoredResource> page = tx.list(kind.storeKind(), parentId, after, PAGE);
            result.addAll(page);
            if (page.size() < PAGE) {
                return result;
            }
            after = page.get(page.size() - 1).seq();
        }
    }
}
