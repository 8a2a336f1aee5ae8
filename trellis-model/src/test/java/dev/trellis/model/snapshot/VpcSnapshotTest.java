package dev.trellis.model.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VpcSnapshotTest {

    private static final String VPC_A = "vpc-0aaaaaaaaaaaaaaaa";
    private static final String VPC_B = "vpc-0bbbbbbbbbbbbbbbb";

    static TargetGroupEntry group(String id, String vpc) {
        return new TargetGroupEntry(id, "arn:aws:vpc-lattice:us-west-2:111122223333:targetgroup/" + id, "IP", "HTTP",
                "HTTP1", 80, vpc, new TargetGroupEntry.HealthCheck(true, "HTTP", "HTTP1", 0, "/", 30, 5, 5, 2, "200"),
                List.of(new TargetGroupEntry.Target("10.0.0.5", 3000, false)));
    }

    static ServiceEntry service(List<ListenerRule> rules) {
        return new ServiceEntry("svc-01234567890abcdef", "arn:aws:vpc-lattice:us-west-2:111122223333:service/"
                + "svc-01234567890abcdef", "datastore", "datastore-01234567890abcdef.7d67968.vpc-lattice-svcs."
                + "us-west-2.on.aws", "datastore.sarathy.io", null, "sn-01234567890abcdef",
                "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-01234567890abcdef",
                AuthLevel.NONE, new AuthLevel("AWS_IAM", "{\"Version\":\"2012-10-17\"}"), 60,
                List.of(new ServiceListener("listener-01234567890abcdef", "arn:l", "HTTP", 80, rules)), List.of());
    }

    static ListenerRule rule(int priority, String path, RuleAction action) {
        return new ListenerRule("rule-" + priority, "arn:r" + priority, priority, false,
                new HttpMatch(null, new HttpMatch.PathMatch(path, true, false), List.of()), action);
    }

    static ListenerRule defaultRule() {
        return new ListenerRule("rule-default", "arn:rd", null, true, null, RuleAction.fixedResponse(404));
    }

    static VpcSnapshot snapshot(List<ListenerRule> rules, List<TargetGroupEntry> groups,
                                        List<FabricPeer> peers) {
        return new VpcSnapshot(7, VPC_A, "111122223333", "us-west-2", Instant.parse("2026-11-27T00:00:00Z"),
                List.of(service(rules)), groups, peers, List.of(new CallerCredential("AKIAEXAMPLE", "AssumedRole",
                        "arn:aws:sts::111122223333:assumed-role/aws-sigv4-client/s",
                        "arn:aws:iam::111122223333:role/aws-sigv4-client", "111122223333", "AROA:s", null, "s",
                        Map.of(), null, null, List.of(new CallerCredential.DerivedKey("20261127", "us-west-2",
                                "vpc-lattice-svcs", "00ff")), null, List.of())),
                List.of(new CertificateEntry("arn:aws:acm:us-west-2:111122223333:certificate/c1",
                        List.of("datastore.sarathy.io"), "-----BEGIN CERTIFICATE-----\n", "-----BEGIN PRIVATE KEY-----\n",
                        Instant.parse("2027-11-27T00:00:00Z"))),
                List.of(new DnsZone("Z0123456789", "sarathy.io.", List.of(new DnsZone.Record("datastore.sarathy.io.",
                        "CNAME", 300, List.of("datastore-01234567890abcdef.7d67968.vpc-lattice-svcs.us-west-2.on.aws"))))));
    }

    @Test
    void roundTripsThroughJsonAndStaysConsistent() throws Exception {
        VpcSnapshot snapshot = snapshot(List.of(
                rule(10, "/popular", RuleAction.forward(List.of(new RuleAction.WeightedTargetGroup("tg-v1", 100)))),
                rule(20, "/summary", RuleAction.forward(List.of(new RuleAction.WeightedTargetGroup("tg-v1", 50),
                        new RuleAction.WeightedTargetGroup("tg-v2", 50)))),
                defaultRule()),
                List.of(group("tg-v1", VPC_A), group("tg-v2", VPC_B)),
                List.of(new FabricPeer(VPC_B, "10.99.0.2", 7443)));

        VpcSnapshot decoded = SnapshotCodec.decode(SnapshotCodec.encode(snapshot.ensureConsistent()));

        assertThat(decoded).isEqualTo(snapshot);
        assertThat(decoded.credentials().get(0).toString()).doesNotContain("00ff");
    }

    @Test
    void ensureConsistentRejectsAForwardToATargetGroupNotInTheSnapshot() {
        VpcSnapshot snapshot = snapshot(List.of(
                rule(10, "/popular", RuleAction.forward(List.of(new RuleAction.WeightedTargetGroup("tg-gone", 1)))),
                defaultRule()), List.of(), List.of());

        assertThatThrownBy(snapshot::ensureConsistent)
                .hasMessage("snapshot 7 of vpc-0aaaaaaaaaaaaaaaa is inconsistent: rule rule-10 forwards to tg-gone,"
                        + " which is not in the snapshot");
    }

    @Test
    void ensureConsistentRejectsRulesOutOfPriorityOrderOrWithoutTheDefaultLast() {
        RuleAction fixed = RuleAction.fixedResponse(404);

        assertThatThrownBy(snapshot(List.of(rule(20, "/a", fixed), rule(10, "/b", fixed), defaultRule()), List.of(),
                List.of())::ensureConsistent).hasMessageEndingWith("rules must be in ascending priority order");
        assertThatThrownBy(snapshot(List.of(rule(10, "/a", fixed)), List.of(), List.of())::ensureConsistent)
                .hasMessageEndingWith("must end with its default rule");
    }

    @Test
    void decodingRejectsWhatIsNotASnapshot() {
        assertThatThrownBy(() -> SnapshotCodec.decode("{\"revision\":".getBytes()))
                .isInstanceOf(java.io.IOException.class);
    }
}
