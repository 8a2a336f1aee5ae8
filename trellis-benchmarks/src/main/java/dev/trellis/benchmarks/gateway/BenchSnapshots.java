package dev.trellis.benchmarks.gateway;

import dev.trellis.auth.sigv4.DerivedSigningKey;
import dev.trellis.auth.sigv4.SigV4KeyDerivation;
import dev.trellis.gateway.http.LatticeHeaders;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.CallerCredential;
import dev.trellis.model.snapshot.CertificateEntry;
import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.HttpMatch;
import dev.trellis.model.snapshot.ListenerRule;
import dev.trellis.model.snapshot.RuleAction;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.ServiceListener;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Snapshots built in code for the gateway benchmarks, in the shape of the walkthrough ({@code reference/seed}):
 * account 615847537300 in us-west-2, client VPC-A {@code vpc-027baaaf7156c6075}, the datastore service
 * {@code svc-0891088e6cc27c501} whose HTTP listener (port 80) forwards to one target group with the benchmark's
 * backend as its only target.
 *
 * <p>{@link #large} adds thousands of realistic services and targets around that one service, for the memory
 * benchmark.
 */
public final class BenchSnapshots {

    public static final String ACCOUNT = "615847537300";
    public static final String REGION = "us-west-2";
    public static final String VPC = "vpc-027baaaf7156c6075";
    public static final String NETWORK_ID = "sn-0a1b2c3d4e5f60718";
    public static final String NETWORK_ARN = "arn:aws:vpc-lattice:" + REGION + ":" + ACCOUNT + ":servicenetwork/"
            + NETWORK_ID;
    public static final String SERVICE_ID = "svc-0891088e6cc27c501";
    /** The Host header every benchmark request carries (the datastore's generated name). */
    public static final String HOST = "datastore-0891088e6cc27c501.7d67968.vpc-lattice-svcs." + REGION + ".on.aws";
    public static final int LISTENER_PORT = 80;
    /** The HTTPS scenarios' listener port (mapped to the harness's proxy port, as 80 is for HTTP). */
    public static final int HTTPS_LISTENER_PORT = 443;
    /** The VPC whose gateway owns the target group in the fabric scenario (the first hop is {@link #VPC}). */
    public static final String VPC_B = "vpc-0b5e1c4a7d9f20e63";
    public static final String SIGNING_NAME = "vpc-lattice-svcs";
    /** The port of {@link #large}'s targets: TCP port 9 (discard), which nothing on these machines serves. */
    public static final int UNUSED_TARGET_PORT = 9;

    /** The walkthrough's SigV4 caller: role {@code aws-sigv4-client}, session {@code frontend}. */
    public static final String ACCESS_KEY_ID = "AKIDBENCHFRONTEND000";
    public static final String SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYBENCHKEY00";
    public static final String ROLE_NAME = "aws-sigv4-client";

    private static final String TARGET_GROUP_ID = "tg-0bench00000000000a";

    private BenchSnapshots() {
    }

    /** The walkthrough's auth policies, read from {@code <reference>/seed/sample}. */
    public record WalkthroughPolicies(String network, String service, String client) {

        public static WalkthroughPolicies read(Path referenceDir) {
            Path dir = referenceDir.resolve("seed").resolve("sample");
            try {
                return new WalkthroughPolicies(Files.readString(dir.resolve("lattice-service-network-policy.json")),
                        Files.readString(dir.resolve("lattice-service-policy.json")),
                        Files.readString(dir.resolve("lattice-client-policy.json")));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the walkthrough's policies in " + dir
                        + " (set --reference to the shared reference directory)", e);
            }
        }
    }

    /**
     * The datastore service forwarding to {@code backendPort} on 127.0.0.1. With {@code policies}, the network and
     * the service are {@code AWS_IAM} with the walkthrough's policies and the snapshot carries the caller's derived
     * keys (yesterday, today and tomorrow, UTC) and identity policy; without, both auth types are {@code NONE}.
     */
    public static VpcSnapshot datastore(int backendPort, WalkthroughPolicies policies) {
        AuthLevel network = policies == null ? AuthLevel.NONE : new AuthLevel("AWS_IAM", policies.network());
        AuthLevel service = policies == null ? AuthLevel.NONE : new AuthLevel("AWS_IAM", policies.service());
        List<CallerCredential> credentials = policies == null ? List.of()
                : List.of(caller(ACCESS_KEY_ID, SECRET_ACCESS_KEY, "frontend", policies.client()));
        return new VpcSnapshot(1, VPC, ACCOUNT, REGION, Instant.now(), List.of(datastoreService(network, service)),
                List.of(backendGroup(backendPort, VPC)), List.of(), credentials);
    }

    /**
     * The datastore service with an HTTPS listener (port {@link #HTTPS_LISTENER_PORT}, auth {@code NONE})
     * forwarding to {@code backendPort}, and {@code certificate} as the managed certificate of the generated names
     * (a {@link CertificateEntry} without ARN, which the gateway presents for {@link #HOST}).
     */
    public static VpcSnapshot datastoreHttps(int backendPort, CertificateEntry certificate) {
        if (certificate.arn() != null) {
            throw new IllegalArgumentException("the generated name's certificate has no ARN, not " + certificate.arn());
        }
        return new VpcSnapshot(1, VPC, ACCOUNT, REGION, Instant.now(),
                List.of(datastoreService(AuthLevel.NONE, AuthLevel.NONE, "HTTPS", HTTPS_LISTENER_PORT)),
                List.of(backendGroup(backendPort, VPC)), List.of(), List.of(), List.of(certificate), List.of());
    }

    /**
     * The first hop of the fabric scenario: VPC-A's snapshot, whose datastore service (HTTP, auth {@code NONE})
     * forwards to a target group in {@link #VPC_B}, reached through the gateway at {@code peerHost:peerPort}. The
     * group has no targets here: VPC-B's gateway knows them ({@link #fabricPeer}).
     */
    public static VpcSnapshot fabricFirstHop(String peerHost, int peerPort) {
        TargetGroupEntry remote = new TargetGroupEntry(TARGET_GROUP_ID, targetGroupArn(TARGET_GROUP_ID), "IP",
                "HTTP", "HTTP1", 8080, VPC_B, null, List.of());
        return new VpcSnapshot(1, VPC, ACCOUNT, REGION, Instant.now(),
                List.of(datastoreService(AuthLevel.NONE, AuthLevel.NONE)), List.of(remote),
                List.of(new FabricPeer(VPC_B, peerHost, peerPort)), List.of());
    }

    /**
     * The gateway of VPC-B in the fabric scenario: no services of its own, the target group (in VPC-B) with the
     * backend as its only target, which the first hop's requests name.
     */
    public static VpcSnapshot fabricPeer(int backendPort) {
        return new VpcSnapshot(1, VPC_B, ACCOUNT, REGION, Instant.now(), List.of(),
                List.of(backendGroup(backendPort, VPC_B)), List.of(), List.of());
    }

    private static TargetGroupEntry backendGroup(int backendPort, String vpc) {
        return new TargetGroupEntry(TARGET_GROUP_ID, targetGroupArn(TARGET_GROUP_ID), "IP", "HTTP", "HTTP1",
                backendPort, vpc, null, List.of(new TargetGroupEntry.Target("127.0.0.1", backendPort, false)));
    }

    private static ServiceEntry datastoreService(AuthLevel network, AuthLevel service) {
        return datastoreService(network, service, "HTTP", LISTENER_PORT);
    }

    private static ServiceEntry datastoreService(AuthLevel network, AuthLevel service, String protocol, int port) {
        ListenerRule defaultRule = new ListenerRule("rule-0bench0000000000d", "arn:rule/bench-default", null, true,
                null, RuleAction.forward(List.of(new RuleAction.WeightedTargetGroup(TARGET_GROUP_ID, 1))));
        return new ServiceEntry(SERVICE_ID, serviceArn(SERVICE_ID), "datastore", HOST, null, null, NETWORK_ID,
                NETWORK_ARN, network, service, 60, List.of(new ServiceListener("listener-0bench000000000001",
                listenerArn(SERVICE_ID, "listener-0bench000000000001"), protocol, port, List.of(defaultRule))),
                List.of());
    }

    /**
     * The memory benchmark's snapshot: the datastore service (auth {@code NONE}, forwarding to {@code backendPort})
     * plus {@code services - 1} other services and {@code targetGroups} groups of {@code targetsPerGroup} targets.
     *
     * <p>Each other service looks like a real one: a generated name, a custom domain for every other service,
     * {@code AWS_IAM} with a service policy on every other service, one HTTP listener on port 80 with three rules
     * (a path prefix with a method, a header match, an exact path answered by a fixed response) and a default rule
     * splitting 90/10 between its group and the next one (a canary). Groups have Lattice's default health check and
     * IP targets in 127.1.0.0–127.255.255.255 on port {@link #UNUSED_TARGET_PORT}. {@code callers} credentials with
     * three derived keys and one identity policy each.
     *
     * <p>The gateway health-checks every target of this snapshot (Lattice's default check is on), so the targets
     * must be addresses on this machine: loopback, outside 127.0.0.x, on a port nothing listens on, so each probe
     * is refused at once. (Targets in 10.0.0.0/8, as this snapshot had before the gateway probed, would send
     * connection attempts off the machine.)
     */
    public static VpcSnapshot large(long revision, int backendPort, int services, int targetGroups,
                                    int targetsPerGroup, int callers, WalkthroughPolicies policies) {
        List<ServiceEntry> entries = new ArrayList<>(services);
        entries.add(datastoreService(AuthLevel.NONE, AuthLevel.NONE));
        List<TargetGroupEntry> groups = new ArrayList<>(targetGroups + 1);
        groups.add(datastore(backendPort, null).targetGroups().get(0));
        TargetGroupEntry.HealthCheck healthCheck = new TargetGroupEntry.HealthCheck(true, "HTTP", "HTTP1", 0, "/",
                30, 5, 5, 2, "200");
        for (int g = 0; g < targetGroups; g++) {
            List<TargetGroupEntry.Target> targets = new ArrayList<>(targetsPerGroup);
            for (int t = 0; t < targetsPerGroup; t++) {
                targets.add(new TargetGroupEntry.Target(loopbackTarget(g * targetsPerGroup + t), UNUSED_TARGET_PORT,
                        false));
            }
            String id = groupId(g);
            groups.add(new TargetGroupEntry(id, targetGroupArn(id), "IP", "HTTP", "HTTP1", UNUSED_TARGET_PORT, VPC,
                    healthCheck,
                    targets));
        }
        AuthLevel network = new AuthLevel("AWS_IAM", policies.network());
        for (int s = 1; s < services; s++) {
            String id = String.format("svc-0%016x", 0x1000_0000L + s);
            String name = "service-" + s;
            String own = groupId(s % targetGroups);
            String canary = groupId((s + 1) % targetGroups);
            List<ListenerRule> rules = List.of(
                    new ListenerRule(ruleId(s, 1), ruleArn(id, 1), 10, false,
                            new HttpMatch("GET", new HttpMatch.PathMatch("/api/v1/" + name, true, false), List.of()),
                            forward(own, 1)),
                    new ListenerRule(ruleId(s, 2), ruleArn(id, 2), 20, false,
                            new HttpMatch(null, null, List.of(new HttpMatch.HeaderMatch("x-canary",
                                    HttpMatch.HeaderMatchType.EXACT, "true", false))),
                            forward(canary, 1)),
                    new ListenerRule(ruleId(s, 3), ruleArn(id, 3), 30, false,
                            new HttpMatch(null, new HttpMatch.PathMatch("/maintenance", false, true), List.of()),
                            RuleAction.fixedResponse(503)),
                    new ListenerRule(ruleId(s, 0), ruleArn(id, 0), null, true, null,
                            RuleAction.forward(List.of(new RuleAction.WeightedTargetGroup(own, 90),
                                    new RuleAction.WeightedTargetGroup(canary, 10)))));
            String listenerId = String.format("listener-0%016x", s);
            AuthLevel serviceAuth = s % 2 == 0
                    ? new AuthLevel("AWS_IAM", policies.service().replace(SERVICE_ID, id))
                    : AuthLevel.NONE;
            entries.add(new ServiceEntry(id, serviceArn(id), name,
                    name + "-" + id.substring(4) + ".7d67968.vpc-lattice-svcs." + REGION + ".on.aws",
                    s % 2 == 0 ? name + ".example.com" : null, null, NETWORK_ID, NETWORK_ARN, network, serviceAuth,
                    60, List.of(new ServiceListener(listenerId, listenerArn(id, listenerId), "HTTP", LISTENER_PORT,
                    rules)), List.of()));
        }
        List<CallerCredential> credentials = new ArrayList<>(callers);
        for (int c = 0; c < callers; c++) {
            credentials.add(caller(String.format("AKIDBENCH%011d", c), SECRET_ACCESS_KEY + c, "session-" + c,
                    policies.client()));
        }
        return new VpcSnapshot(revision, VPC, ACCOUNT, REGION, Instant.now(), entries, groups, List.of(),
                credentials);
    }

    /**
     * The revision after {@code previous} (a {@link #large} snapshot or one of these), as the control plane would
     * compile it after a few API calls, so that a gateway swapping it in has real work: the default rule of
     * {@code weightShifts} services moves one point of weight from its group to its canary (a canary rollout), half
     * of {@code targetChanges} groups gain a target and the other half lose their last one (registrations and
     * deregistrations), and one new service arrives with a new target group of {@code targetsPerGroup} targets.
     * Which services and groups change moves on with {@code step} (1, 2, ...), so consecutive revisions change
     * different ones. Everything else is the very same entry as in {@code previous}.
     */
    public static VpcSnapshot changed(VpcSnapshot previous, int step, int weightShifts, int targetChanges,
                                      int targetsPerGroup) {
        List<ServiceEntry> services = new ArrayList<>(previous.services());
        int others = services.size() - 1; // index 0 is the datastore service, which the traffic uses: unchanged
        for (int k = 0; k < weightShifts && others > 0; k++) {
            int index = 1 + Math.floorMod((step - 1) * weightShifts + k, others);
            services.set(index, shiftCanary(services.get(index)));
        }
        List<TargetGroupEntry> groups = new ArrayList<>(previous.targetGroups());
        int changeable = groups.size() - 1; // index 0 is the datastore's group
        for (int k = 0; k < targetChanges && changeable > 0; k++) {
            int index = 1 + Math.floorMod((step - 1) * targetChanges + k, changeable);
            TargetGroupEntry group = groups.get(index);
            List<TargetGroupEntry.Target> targets = new ArrayList<>(group.targets());
            if (k % 2 == 0) {
                targets.add(new TargetGroupEntry.Target(loopbackTarget(10_000_000 + step * 1_000 + k),
                        UNUSED_TARGET_PORT, false));
            } else if (targets.size() > 1) {
                targets.remove(targets.size() - 1);
            }
            groups.set(index, new TargetGroupEntry(group.id(), group.arn(), group.type(), group.protocol(),
                    group.protocolVersion(), group.port(), group.vpcId(), group.healthCheck(), targets));
        }
        String groupId = String.format("tg-0%016x", 0x3000_0000L + step);
        List<TargetGroupEntry.Target> targets = new ArrayList<>(targetsPerGroup);
        for (int t = 0; t < targetsPerGroup; t++) {
            targets.add(new TargetGroupEntry.Target(loopbackTarget(12_000_000 + step * 1_000 + t), UNUSED_TARGET_PORT,
                    false));
        }
        groups.add(new TargetGroupEntry(groupId, targetGroupArn(groupId), "IP", "HTTP", "HTTP1", UNUSED_TARGET_PORT,
                VPC, new TargetGroupEntry.HealthCheck(true, "HTTP", "HTTP1", 0, "/", 30, 5, 5, 2, "200"), targets));
        String id = String.format("svc-0%016x", 0x3000_0000L + step);
        String name = "new-service-" + step;
        String listenerId = String.format("listener-0%016x", 0x3000_0000L + step);
        AuthLevel network = services.size() > 1 ? services.get(1).networkAuth() : AuthLevel.NONE;
        services.add(new ServiceEntry(id, serviceArn(id), name,
                name + "-" + id.substring(4) + ".7d67968.vpc-lattice-svcs." + REGION + ".on.aws", null, null,
                NETWORK_ID, NETWORK_ARN, network, AuthLevel.NONE, 60, List.of(new ServiceListener(listenerId,
                listenerArn(id, listenerId), "HTTP", LISTENER_PORT, List.of(new ListenerRule(ruleId(0x3000 + step, 0),
                ruleArn(id, 0), null, true, null, forward(groupId, 1))))), List.of()));
        return new VpcSnapshot(previous.revision() + 1, previous.vpcId(), previous.accountId(), previous.region(),
                Instant.now(), services, groups, previous.peers(), previous.credentials(), previous.certificates(),
                previous.dnsZones());
    }

    /** {@code service} with one point of its default rule's weight moved from the first group to the second. */
    private static ServiceEntry shiftCanary(ServiceEntry service) {
        List<ServiceListener> listeners = new ArrayList<>();
        for (ServiceListener listener : service.listeners()) {
            List<ListenerRule> rules = new ArrayList<>(listener.rules());
            ListenerRule last = rules.get(rules.size() - 1);
            List<RuleAction.WeightedTargetGroup> forward = last.action().forward();
            if (forward.size() == 2) {
                int moved = forward.get(0).weight() > 1 ? 1 : -forward.get(1).weight();
                rules.set(rules.size() - 1, new ListenerRule(last.id(), last.arn(), null, true, null,
                        RuleAction.forward(List.of(
                                new RuleAction.WeightedTargetGroup(forward.get(0).targetGroupId(),
                                        forward.get(0).weight() - moved),
                                new RuleAction.WeightedTargetGroup(forward.get(1).targetGroupId(),
                                        forward.get(1).weight() + moved)))));
            }
            listeners.add(new ServiceListener(listener.id(), listener.arn(), listener.protocol(), listener.port(),
                    rules));
        }
        return new ServiceEntry(service.id(), service.arn(), service.name(), service.domainName(),
                service.customDomainName(), service.certificateArn(), service.networkId(), service.networkArn(),
                service.networkAuth(), service.serviceAuth(), service.idleTimeoutSeconds(), listeners,
                service.accessLogDestinations());
    }

    /** An address on loopback outside 127.0.0.x, numbered {@code n} (unique per n below 16 million). */
    private static String loopbackTarget(int n) {
        int a = n + 65_536;
        return "127." + (a >> 16 & 255) + "." + (a >> 8 & 255) + "." + (a & 255);
    }

    /** A caller of role {@link #ROLE_NAME} with derived keys for yesterday, today and tomorrow (UTC). */
    static CallerCredential caller(String accessKeyId, String secret, String session, String identityPolicy) {
        List<CallerCredential.DerivedKey> keys = new ArrayList<>();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        for (int day = -1; day <= 1; day++) {
            String date = today.plusDays(day).format(DateTimeFormatter.BASIC_ISO_DATE);
            DerivedSigningKey key = SigV4KeyDerivation.deriveSigningKey(secret, date, REGION, SIGNING_NAME);
            keys.add(new CallerCredential.DerivedKey(date, REGION, SIGNING_NAME, HexFormat.of().formatHex(key.key())));
        }
        return new CallerCredential(accessKeyId, "AssumedRole",
                "arn:aws:sts::" + ACCOUNT + ":assumed-role/" + ROLE_NAME + "/" + session,
                "arn:aws:iam::" + ACCOUNT + ":role/" + ROLE_NAME, ACCOUNT, "AROABENCHROLEID:" + session, null,
                session, Map.of(), null, null, keys, null, List.of(identityPolicy));
    }

    private static RuleAction forward(String group, int weight) {
        return RuleAction.forward(List.of(new RuleAction.WeightedTargetGroup(group, weight)));
    }

    private static String groupId(int g) {
        return String.format("tg-0%016x", 0x2000_0000L + g);
    }

    private static String ruleId(int service, int rule) {
        return String.format("rule-0%012x%04x", service, rule);
    }

    /**
     * The headers the gateway adds to a datastore request towards its target, with the values it gives them, but
     * for those that differ per request or connection ({@code x-forwarded-for}, {@code x-amzn-requestid}): what
     * nginx adds in the harness's like-for-like scenario.
     */
    public static Map<String, String> datastoreTargetHeaders() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(LatticeHeaders.FORWARDED_PORT, Integer.toString(LISTENER_PORT));
        headers.put(LatticeHeaders.FORWARDED_PROTO, "http");
        headers.put(LatticeHeaders.NETWORK, LatticeHeaders.network("arn:aws:ec2:" + REGION + ":" + ACCOUNT + ":vpc/"
                + VPC));
        headers.put(LatticeHeaders.TARGET, LatticeHeaders.target(serviceArn(SERVICE_ID), NETWORK_ARN,
                targetGroupArn(TARGET_GROUP_ID)));
        headers.put(LatticeHeaders.SOURCE_VPC, VPC);
        return headers;
    }

    private static String serviceArn(String id) {
        return "arn:aws:vpc-lattice:" + REGION + ":" + ACCOUNT + ":service/" + id;
    }

    private static String listenerArn(String serviceId, String listenerId) {
        return serviceArn(serviceId) + "/listener/" + listenerId;
    }

    private static String ruleArn(String serviceId, int rule) {
        return serviceArn(serviceId) + "/listener/rule-" + rule;
    }

    private static String targetGroupArn(String id) {
        return "arn:aws:vpc-lattice:" + REGION + ":" + ACCOUNT + ":targetgroup/" + id;
    }
}
