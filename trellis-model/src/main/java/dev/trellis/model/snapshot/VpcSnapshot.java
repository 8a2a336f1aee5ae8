package dev.trellis.model.snapshot;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the gateways of one VPC need, at one store revision: the services reachable from the VPC with their
 * listeners and compiled rules, the target groups those rules use (with targets and health checks for the groups
 * in this VPC), the fabric peers serving the other groups' VPCs, the callers' verification material, the
 * certificates of the TLS listeners it terminates and the private DNS zones associated with the VPC.
 * Immutable; look-up maps are built once, here.
 */
public record VpcSnapshot(
        long revision,
        String vpcId,
        String accountId,
        String region,
        Instant compiledAt,
        List<ServiceEntry> services,
        List<TargetGroupEntry> targetGroups,
        List<FabricPeer> peers,
        List<CallerCredential> credentials,
        List<CertificateEntry> certificates,
        List<DnsZone> dnsZones) {

    public VpcSnapshot {
        Objects.requireNonNull(vpcId, "vpcId");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(compiledAt, "compiledAt");
        services = List.copyOf(services);
        targetGroups = List.copyOf(targetGroups);
        peers = List.copyOf(peers);
        credentials = List.copyOf(credentials);
        certificates = certificates == null ? List.of() : List.copyOf(certificates);
        dnsZones = dnsZones == null ? List.of() : List.copyOf(dnsZones);
    }

    /** A snapshot without TLS certificates or DNS zones. */
    public VpcSnapshot(long revision, String vpcId, String accountId, String region, Instant compiledAt,
                       List<ServiceEntry> services, List<TargetGroupEntry> targetGroups, List<FabricPeer> peers,
                       List<CallerCredential> credentials) {
        this(revision, vpcId, accountId, region, compiledAt, services, targetGroups, peers, credentials, List.of(),
                List.of());
    }

    /** An empty snapshot: what a gateway serves before it knows anything (nothing is reachable). */
    public static VpcSnapshot empty(String vpcId, String region) {
        return new VpcSnapshot(0, vpcId, "", region, Instant.EPOCH, List.of(), List.of(), List.of(), List.of());
    }

    /**
     * Checks the snapshot is whole before it is published or used: every forward names a target group of the
     * snapshot, listener ports are unique per service, rules are in evaluation order with the default rule last, and
     * ids are unique. (A target group in a VPC that no gateway serves yet has no fabric peer: requests to it are
     * answered by the gateway with an error, the snapshot is still whole.)
     *
     * @return this snapshot
     * @throws IllegalStateException naming the first inconsistency
     */
    public VpcSnapshot ensureConsistent() {
        Map<String, TargetGroupEntry> groups = new HashMap<>();
        for (TargetGroupEntry group : targetGroups) {
            if (groups.put(group.id(), group) != null) {
                throw inconsistent("target group " + group.id() + " appears twice");
            }
        }
        Set<String> serviceIds = new HashSet<>();
        for (ServiceEntry service : services) {
            if (!serviceIds.add(service.id())) {
                throw inconsistent("service " + service.id() + " appears twice");
            }
            Set<Integer> ports = new HashSet<>();
            for (ServiceListener listener : service.listeners()) {
                if (!ports.add(listener.port())) {
                    throw inconsistent("service " + service.id() + " has two listeners on port " + listener.port());
                }
                checkRules(service, listener, groups);
            }
        }
        return this;
    }

    private void checkRules(ServiceEntry service, ServiceListener listener, Map<String, TargetGroupEntry> groups) {
        List<ListenerRule> rules = listener.rules();
        if (rules.isEmpty() || !rules.get(rules.size() - 1).isDefault()) {
            throw inconsistent("listener " + listener.id() + " of " + service.id() + " must end with its default rule");
        }
        int previous = 0;
        for (int i = 0; i < rules.size() - 1; i++) {
            ListenerRule rule = rules.get(i);
            if (rule.isDefault() || rule.priority() <= previous) {
                throw inconsistent("listener " + listener.id() + ": rules must be in ascending priority order");
            }
            previous = rule.priority();
        }
        for (ListenerRule rule : rules) {
            for (RuleAction.WeightedTargetGroup forward : rule.action().forward()) {
                if (!groups.containsKey(forward.targetGroupId())) {
                    throw inconsistent("rule " + rule.id() + " forwards to " + forward.targetGroupId()
                            + ", which is not in the snapshot");
                }
            }
        }
    }

    private IllegalStateException inconsistent(String what) {
        return new IllegalStateException("snapshot " + revision + " of " + vpcId + " is inconsistent: " + what);
    }

    @Override
    public String toString() {
        return "VpcSnapshot[" + vpcId + " @" + revision + ", " + services.size() + " services, "
                + targetGroups.size() + " target groups]";
    }
}
