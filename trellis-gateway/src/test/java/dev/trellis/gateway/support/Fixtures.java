package dev.trellis.gateway.support;

import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.CallerCredential;
import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.HttpMatch;
import dev.trellis.model.snapshot.ListenerRule;
import dev.trellis.model.snapshot.RuleAction;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Hand-built snapshots in the shape of the walkthrough (reference/seed): account 615847537300 in us-west-2, the
 * client VPC-A {@code vpc-027baaaf7156c6075}, the datastore service {@code svc-0891088e6cc27c501}.
 */
public final class Fixtures {

    public static final String ACCOUNT = "615847537300";
    public static final String REGION = "us-west-2";
    public static final String VPC_A = "vpc-027baaaf7156c6075";
    public static final String VPC_B = "vpc-0bbbbbbbbbbbbbbbb";
    public static final String NETWORK_ID = "sn-0a1b2c3d4e5f60718";
    public static final String NETWORK_ARN = "arn:aws:vpc-lattice:" + REGION + ":" + ACCOUNT + ":servicenetwork/"
            + NETWORK_ID;
    public static final String DATASTORE_ID = "svc-0891088e6cc27c501";
    public static final String DATASTORE_ARN = serviceArn(DATASTORE_ID);
    public static final String DATASTORE_DOMAIN = "datastore-0891088e6cc27c501.7d67968.vpc-lattice-svcs."
            + REGION + ".on.aws";
    public static final String DATASTORE_CUSTOM = "datastore.sarathy.io";

    private Fixtures() {
    }

    public static String serviceArn(String id) {
        return "arn:aws:vpc-lattice:" + REGION + ":" + ACCOUNT + ":service/" + id;
    }

    public static String targetGroupArn(String id) {
        return "arn:aws:vpc-lattice:" + REGION + ":" + ACCOUNT + ":targetgroup/" + id;
    }

    /** A service reached through {@link #NETWORK_ARN}. */
    public static ServiceEntry service(String id, String name, String domain, String customDomain,
                                       AuthLevel networkAuth, AuthLevel serviceAuth, int idleTimeoutSeconds,
                                       ServiceListener... listeners) {
        return new ServiceEntry(id, serviceArn(id), name, domain, customDomain, null, NETWORK_ID, NETWORK_ARN,
                networkAuth, serviceAuth, idleTimeoutSeconds, List.of(listeners), List.of());
    }

    /** The walkthrough's datastore service with auth NONE and a 60-second idle timeout. */
    public static ServiceEntry datastore(ServiceListener... listeners) {
        return service(DATASTORE_ID, "datastore", DATASTORE_DOMAIN, DATASTORE_CUSTOM, AuthLevel.NONE,
                AuthLevel.NONE, 60, listeners);
    }

    public static ServiceListener http(int port, ListenerRule... rules) {
        return new ServiceListener("listener-0" + String.format("%016x", port), "arn:listener/" + port, "HTTP", port,
                List.of(rules));
    }

    public static ListenerRule rule(int priority, HttpMatch match, RuleAction action) {
        return new ListenerRule(String.format("rule-0%016x", priority), "arn:rule/" + priority, priority, false,
                match, action);
    }

    public static ListenerRule defaultRule(RuleAction action) {
        return new ListenerRule("rule-0ffffffffffffffff", "arn:rule/default", null, true, null, action);
    }

    public static HttpMatch pathPrefix(String prefix) {
        return new HttpMatch(null, new HttpMatch.PathMatch(prefix, true, false), List.of());
    }

    /** Forward to groups: {@code forward("tg-a", 50, "tg-b", 50)}. */
    public static RuleAction forward(Object... groupsAndWeights) {
        List<RuleAction.WeightedTargetGroup> groups = new ArrayList<>();
        for (int i = 0; i < groupsAndWeights.length; i += 2) {
            groups.add(new RuleAction.WeightedTargetGroup((String) groupsAndWeights[i],
                    (Integer) groupsAndWeights[i + 1]));
        }
        return RuleAction.forward(groups);
    }

    /** A target group in {@code vpc} whose targets are 127.0.0.1 on the given ports. */
    public static TargetGroupEntry group(String id, String vpc, int... ports) {
        List<TargetGroupEntry.Target> targets = new ArrayList<>();
        for (int port : ports) {
            targets.add(new TargetGroupEntry.Target("127.0.0.1", port, false));
        }
        return new TargetGroupEntry(id, targetGroupArn(id), "IP", "HTTP", "HTTP1", 80, vpc, null, targets);
    }

    /** A target group in {@code vpc} with the backends as its targets. */
    public static TargetGroupEntry group(String id, String vpc, TestBackend... backends) {
        int[] ports = new int[backends.length];
        for (int i = 0; i < backends.length; i++) {
            ports[i] = backends[i].port();
        }
        return group(id, vpc, ports);
    }

    /** A snapshot of VPC-A. */
    public static VpcSnapshot snapshot(long revision, List<ServiceEntry> services, List<TargetGroupEntry> groups,
                                       List<CallerCredential> credentials) {
        List<FabricPeer> peers = new ArrayList<>();
        if (groups.stream().anyMatch(g -> g.vpcId().equals(VPC_B))) {
            peers.add(new FabricPeer(VPC_B, "127.0.0.1", 7443));
        }
        return new VpcSnapshot(revision, VPC_A, ACCOUNT, REGION, Instant.now(), services, groups, peers,
                credentials);
    }
}
