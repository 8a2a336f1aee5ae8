package dev.trellis.model.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SnapshotDecoderTest {

    private static final String VPC_A = "vpc-0aaaaaaaaaaaaaaaa";
    private static final String VPC_B = "vpc-0bbbbbbbbbbbbbbbb";

    private static VpcSnapshot first() {
        return VpcSnapshotTest.snapshot(List.of(
                VpcSnapshotTest.rule(10, "/popular", RuleAction.forward(List.of(
                        new RuleAction.WeightedTargetGroup("tg-v1", 100)))),
                VpcSnapshotTest.rule(20, "/summary", RuleAction.forward(List.of(
                        new RuleAction.WeightedTargetGroup("tg-v1", 90),
                        new RuleAction.WeightedTargetGroup("tg-v2", 10)))),
                VpcSnapshotTest.defaultRule()),
                List.of(VpcSnapshotTest.group("tg-v1", VPC_A), VpcSnapshotTest.group("tg-v2", VPC_B),
                        VpcSnapshotTest.group("tg-v3", VPC_A)),
                List.of(new FabricPeer(VPC_B, "10.99.0.2", 7443)));
    }

    /** {@code snapshot} as the next revision with one more target in tg-v3 (the third group). */
    private static VpcSnapshot withTargetAdded(VpcSnapshot snapshot) {
        List<TargetGroupEntry> groups = new ArrayList<>(snapshot.targetGroups());
        TargetGroupEntry g = groups.get(2);
        List<TargetGroupEntry.Target> targets = new ArrayList<>(g.targets());
        targets.add(new TargetGroupEntry.Target("10.0.0.6", 3000, false));
        groups.set(2, new TargetGroupEntry(g.id(), g.arn(), g.type(), g.protocol(), g.protocolVersion(), g.port(),
                g.vpcId(), g.healthCheck(), targets));
        return new VpcSnapshot(snapshot.revision() + 1, snapshot.vpcId(), snapshot.accountId(), snapshot.region(),
                Instant.parse("2026-11-27T00:00:05Z"), snapshot.services(), groups, snapshot.peers(),
                snapshot.credentials(), snapshot.certificates(), snapshot.dnsZones());
    }

    @Test
    void decodesWhatTheCodecDecodes() throws Exception {
        byte[] json = SnapshotCodec.encode(first());

        VpcSnapshot decoded = new SnapshotDecoder().decode(json);

        assertThat(decoded).isEqualTo(SnapshotCodec.decode(json)).isEqualTo(first());
    }

    @Test
    void keepsTheVeryInstancesOfEntriesWhoseBytesDidNotChange() throws Exception {
        SnapshotDecoder decoder = new SnapshotDecoder();
        VpcSnapshot before = decoder.decode(SnapshotCodec.encode(first()));
        VpcSnapshot next = withTargetAdded(first());

        VpcSnapshot after = decoder.decode(SnapshotCodec.encode(next));

        assertThat(after).isEqualTo(next);
        assertThat(after.revision()).isEqualTo(8);
        assertThat(after.targetGroups().get(2)).isNotSameAs(before.targetGroups().get(2));
        assertThat(after.targetGroups().get(2).targets()).hasSize(2);
        assertThat(after.targetGroups().get(0)).isSameAs(before.targetGroups().get(0));
        assertThat(after.targetGroups().get(1)).isSameAs(before.targetGroups().get(1));
        assertThat(after.services().get(0)).isSameAs(before.services().get(0));
        assertThat(after.peers().get(0)).isSameAs(before.peers().get(0));
        assertThat(after.credentials().get(0)).isSameAs(before.credentials().get(0));
        assertThat(after.certificates().get(0)).isSameAs(before.certificates().get(0));
        assertThat(after.dnsZones().get(0)).isSameAs(before.dnsZones().get(0));
        assertThat(decoder.reusedEntries()).isEqualTo(7);
        assertThat(decoder.decodedEntries()).isEqualTo(1);
    }

    @Test
    void aChangedEntryKeepsThePartsThatDidNotChange() throws Exception {
        SnapshotDecoder decoder = new SnapshotDecoder();
        VpcSnapshot before = decoder.decode(SnapshotCodec.encode(first()));
        // The next revision: one more target in tg-v3, and the canary rule's weights shifted (90/10 → 50/50).
        VpcSnapshot added = withTargetAdded(first());
        ServiceEntry service = added.services().get(0);
        ServiceListener listener = service.listeners().get(0);
        List<ListenerRule> rules = new ArrayList<>(listener.rules());
        rules.set(1, VpcSnapshotTest.rule(20, "/summary", RuleAction.forward(List.of(
                new RuleAction.WeightedTargetGroup("tg-v1", 50), new RuleAction.WeightedTargetGroup("tg-v2", 50)))));
        ServiceEntry shifted = new ServiceEntry(service.id(), service.arn(), service.name(), service.domainName(),
                service.customDomainName(), service.certificateArn(), service.networkId(), service.networkArn(),
                service.networkAuth(), service.serviceAuth(), service.idleTimeoutSeconds(),
                List.of(new ServiceListener(listener.id(), listener.arn(), listener.protocol(), listener.port(),
                        rules)), service.accessLogDestinations());
        VpcSnapshot next = new VpcSnapshot(8, VPC_A, added.accountId(), added.region(), added.compiledAt(),
                List.of(shifted), added.targetGroups(), added.peers(), added.credentials(), added.certificates(),
                added.dnsZones());
        byte[] json = SnapshotCodec.encode(next);

        VpcSnapshot after = decoder.decode(json);

        assertThat(after).isEqualTo(next).isEqualTo(SnapshotCodec.decode(json));
        assertThat(decoder.decodedEntries()).isEqualTo(2);
        TargetGroupEntry group = after.targetGroups().get(2);
        TargetGroupEntry groupBefore = before.targetGroups().get(2);
        assertThat(group).isNotSameAs(groupBefore);
        assertThat(group.targets().get(0)).isSameAs(groupBefore.targets().get(0));
        assertThat(group.targets().get(1)).isEqualTo(new TargetGroupEntry.Target("10.0.0.6", 3000, false));
        assertThat(group.healthCheck()).isSameAs(groupBefore.healthCheck());
        assertThat(group.arn()).isSameAs(groupBefore.arn());
        ServiceEntry serviceAfter = after.services().get(0);
        ServiceEntry serviceBefore = before.services().get(0);
        assertThat(serviceAfter).isNotSameAs(serviceBefore);
        List<ListenerRule> rulesAfter = serviceAfter.listeners().get(0).rules();
        List<ListenerRule> rulesBefore = serviceBefore.listeners().get(0).rules();
        assertThat(rulesAfter.get(0)).isSameAs(rulesBefore.get(0));
        assertThat(rulesAfter.get(1)).isNotSameAs(rulesBefore.get(1)).isEqualTo(rules.get(1));
        assertThat(rulesAfter.get(2)).isSameAs(rulesBefore.get(2));
        assertThat(serviceAfter.serviceAuth()).isSameAs(serviceBefore.serviceAuth());
        assertThat(serviceAfter.domainName()).isSameAs(serviceBefore.domainName());
    }

    @Test
    void aTargetRemovedFromTheMiddleLeavesTheOthersShared() throws Exception {
        SnapshotDecoder decoder = new SnapshotDecoder();
        VpcSnapshot before = decoder.decode(SnapshotCodec.encode(withTargets(first(), 5)));
        VpcSnapshot fewer = withTargets(first(), 5);
        List<TargetGroupEntry> groups = new ArrayList<>(fewer.targetGroups());
        TargetGroupEntry g = groups.get(2);
        List<TargetGroupEntry.Target> targets = new ArrayList<>(g.targets());
        targets.remove(1);
        groups.set(2, new TargetGroupEntry(g.id(), g.arn(), g.type(), g.protocol(), g.protocolVersion(), g.port(),
                g.vpcId(), g.healthCheck(), targets));
        VpcSnapshot next = new VpcSnapshot(8, VPC_A, fewer.accountId(), fewer.region(), fewer.compiledAt(),
                fewer.services(), groups, fewer.peers(), fewer.credentials(), fewer.certificates(), fewer.dnsZones());

        VpcSnapshot after = decoder.decode(SnapshotCodec.encode(next));

        assertThat(after).isEqualTo(next);
        List<TargetGroupEntry.Target> was = before.targetGroups().get(2).targets();
        List<TargetGroupEntry.Target> now = after.targetGroups().get(2).targets();
        assertThat(now).hasSize(was.size() - 1);
        assertThat(now.get(0)).isSameAs(was.get(0));
        for (int i = 1; i < now.size(); i++) {
            assertThat(now.get(i)).isSameAs(was.get(i + 1));
        }
    }

    @Test
    void findsUnchangedEntriesWhereverTheyMovedAndWhateverTheSpacing() throws Exception {
        SnapshotDecoder decoder = new SnapshotDecoder();
        VpcSnapshot before = decoder.decode(SnapshotCodec.encode(first()));
        List<TargetGroupEntry> reversed = new ArrayList<>(first().targetGroups());
        java.util.Collections.reverse(reversed);
        VpcSnapshot moved = new VpcSnapshot(8, VPC_A, "111122223333", "us-west-2", first().compiledAt(),
                first().services(), reversed, first().peers(), first().credentials(), first().certificates(),
                first().dnsZones());
        // Whitespace between entries is not part of an entry's bytes.
        String json = new String(SnapshotCodec.encode(moved), StandardCharsets.UTF_8)
                .replace("},{\"id\":\"tg-", "},\n  {\"id\":\"tg-");
        assertThat(json).contains("},\n  {\"id\":\"tg-v2");

        VpcSnapshot after = decoder.decode(json.getBytes(StandardCharsets.UTF_8));

        assertThat(after).isEqualTo(moved);
        assertThat(after.targetGroups().get(0)).isSameAs(before.targetGroups().get(2));
        assertThat(after.targetGroups().get(2)).isSameAs(before.targetGroups().get(0));
        assertThat(decoder.decodedEntries()).isZero();
    }

    @Test
    void anEntryThatChangedInOneByteIsDecodedAgain() throws Exception {
        SnapshotDecoder decoder = new SnapshotDecoder();
        byte[] json = SnapshotCodec.encode(first());
        VpcSnapshot before = decoder.decode(json);
        // Same length, one byte different: the port of the fabric peer, 7443 → 7444.
        byte[] changed = new String(json, StandardCharsets.UTF_8).replace("\"port\":7443", "\"port\":7444")
                .getBytes(StandardCharsets.UTF_8);

        VpcSnapshot after = decoder.decode(changed);

        assertThat(after.peers().get(0).port()).isEqualTo(7444);
        assertThat(after.peers().get(0)).isNotSameAs(before.peers().get(0));
        assertThat(decoder.decodedEntries()).isEqualTo(1);
    }

    /** {@link #first()} with peers whose hosts are full of brackets, quotes, escapes and a non-ASCII letter. */
    private static VpcSnapshot tricky() {
        return new VpcSnapshot(3, VPC_A, "111122223333", "us-west-2", first().compiledAt(),
                first().services(), first().targetGroups(), List.of(new FabricPeer(VPC_B, "h}]\\\"{[,:x\u00e9\n", 1),
                        new FabricPeer("vpc-0cccccccccccccccc", "\\", 2)),
                first().credentials(), first().certificates(), first().dnsZones());
    }

    @Test
    void readsPrettyPrintedJsonAndStringsFullOfBracketsQuotesAndEscapes() throws Exception {
        VpcSnapshot tricky = tricky();
        byte[] pretty = new com.fasterxml.jackson.databind.ObjectMapper()
                .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
                .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .writerWithDefaultPrettyPrinter().writeValueAsBytes(tricky);
        SnapshotDecoder decoder = new SnapshotDecoder();

        assertThat(decoder.decode(pretty)).isEqualTo(tricky);
        assertThat(decoder.decode(SnapshotCodec.encode(tricky))).isEqualTo(tricky);
    }

    @Test
    void ignoresUnknownFieldsAtTheTopAndInEntries() throws Exception {
        String json = new String(SnapshotCodec.encode(first()), StandardCharsets.UTF_8)
                .replaceFirst("\\{", "{\"fromTheFuture\":{\"a\":[1,2]},")
                .replace("\"vpcId\":\"vpc-0bbbbbbbbbbbbbbbb\",\"host\"", "\"vpcId\":\"vpc-0bbbbbbbbbbbbbbbb\",\"x\":1,\"host\"");

        assertThat(new SnapshotDecoder().decode(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(first());
    }

    @Test
    void rejectsWhatIsNotASnapshotWithAMessageNamingThePart() {
        SnapshotDecoder decoder = new SnapshotDecoder();
        String good = new String(SnapshotCodec.encode(first()), StandardCharsets.UTF_8);

        assertThatThrownBy(() -> decoder.decode("[1]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class).hasMessage("a snapshot is a JSON object");
        assertThatThrownBy(() -> decoder.decode(good.replace("\"peers\":[{", "\"peers\":[7,{")
                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class).hasMessage("peers[0] is not a JSON object");
        assertThatThrownBy(() -> decoder.decode(good.replace("\"port\":7443", "\"port\":\"many\"")
                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class).hasMessageStartingWith("peers[0] is not valid: ");
        assertThatThrownBy(() -> decoder.decode(good.substring(0, good.length() / 2)
                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> decoder.decode((good + "{}").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class).hasMessage("a snapshot is one JSON object");
        assertThatThrownBy(() -> decoder.decode(good.replace("\"peers\":[{",
                "\"peers\":[{\"vpcId\":\"vpc-0c\",\"host\":\"h\",\"port\":1} {")
                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class).hasMessageStartingWith("not a snapshot: expected a ',' or ']' after peers[0]");
        assertThatThrownBy(() -> decoder.decode(good.replace("\"revision\":7", "\"revision\":7x")
                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class).hasMessageStartingWith("the value of \"revision\" is not valid");
        assertThatThrownBy(() -> decoder.decode(good.replace("\"peers\":[{", "\"peers\":[{\"x\":[1}, {")
                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class).hasMessageStartingWith("peers[0] is not valid");
        assertThatThrownBy(() -> decoder.decode(good.replace("\"services\":[", "\"services\":null,\"x\":[")
                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class);
    }

    @Test
    void checksConsistencyAsTheCodecDoes() {
        String json = new String(SnapshotCodec.encode(first()), StandardCharsets.UTF_8)
                .replace("\"targetGroupId\":\"tg-v2\"", "\"targetGroupId\":\"tg-gone\"");

        assertThatThrownBy(() -> new SnapshotDecoder().decode(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("snapshot 7 of vpc-0aaaaaaaaaaaaaaaa is inconsistent: rule rule-20 forwards to tg-gone,"
                        + " which is not in the snapshot");
    }

    @Test
    void aRefusedSnapshotDoesNotReplaceTheOneReusedFrom() throws Exception {
        SnapshotDecoder decoder = new SnapshotDecoder();
        VpcSnapshot before = decoder.decode(SnapshotCodec.encode(first()));
        assertThatThrownBy(() -> decoder.decode("{\"revision\":".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class);

        VpcSnapshot after = decoder.decode(SnapshotCodec.encode(withTargetAdded(first())));

        assertThat(after.services().get(0)).isSameAs(before.services().get(0));
    }

    /** A stream that hands out 1 to 7 bytes per read, as a network may: every value crosses reads somewhere. */
    private static InputStream trickle(byte[] bytes) {
        return new ByteArrayInputStream(bytes) {
            private int turn;

            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1 + turn++ % 7));
            }
        };
    }

    /** {@code snapshot} with tg-v3 holding {@code count} targets: an entry larger than the decoder's 64 KB window. */
    private static VpcSnapshot withTargets(VpcSnapshot snapshot, int count) {
        List<TargetGroupEntry> groups = new ArrayList<>(snapshot.targetGroups());
        TargetGroupEntry g = groups.get(2);
        groups.set(2, new TargetGroupEntry(g.id(), g.arn(), g.type(), g.protocol(), g.protocolVersion(), g.port(),
                g.vpcId(), g.healthCheck(), IntStream.range(0, count).mapToObj(i -> new TargetGroupEntry.Target(
                        "10.1." + i / 250 + "." + i % 250, 3000, false)).toList()));
        return new VpcSnapshot(snapshot.revision(), snapshot.vpcId(), snapshot.accountId(), snapshot.region(),
                snapshot.compiledAt(), snapshot.services(), groups, snapshot.peers(), snapshot.credentials(),
                snapshot.certificates(), snapshot.dnsZones());
    }

    @Test
    void decodesAStreamThatArrivesAFewBytesAtATime() throws Exception {
        VpcSnapshot tricky = tricky();
        SnapshotDecoder decoder = new SnapshotDecoder();

        VpcSnapshot before = decoder.decode(trickle(SnapshotCodec.encode(tricky)));
        VpcSnapshot after = decoder.decode(trickle(SnapshotCodec.encode(tricky)));

        assertThat(before).isEqualTo(tricky);
        assertThat(after).isEqualTo(tricky);
        assertThat(after.peers().get(0)).isSameAs(before.peers().get(0));
        assertThat(decoder.decodedEntries()).isZero();
    }

    @Test
    void anEntryLargerThanTheWindowIsDecodedAndThenReused() throws Exception {
        VpcSnapshot big = withTargets(first(), 8_000);
        byte[] json = SnapshotCodec.encode(big);
        assertThat(json.length).isGreaterThan(4 * 64 * 1024);
        SnapshotDecoder decoder = new SnapshotDecoder();

        VpcSnapshot before = decoder.decode(trickle(json));
        VpcSnapshot after = decoder.decode(new ByteArrayInputStream(json));

        assertThat(before).isEqualTo(big);
        assertThat(after.targetGroups().get(2)).isSameAs(before.targetGroups().get(2));
        assertThat(after.targetGroups().get(2).targets()).hasSize(8_000);
        assertThat(decoder.decodedEntries()).isZero();
    }

    @Test
    void aStreamThatStopsMidEntryIsRefusedWithWhereItStopped() {
        byte[] json = SnapshotCodec.encode(withTargets(first(), 8_000));
        byte[] cut = java.util.Arrays.copyOf(json, json.length - 1_000);

        assertThatThrownBy(() -> new SnapshotDecoder().decode(trickle(cut)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("not a snapshot: ")
                .hasMessageEndingWith(" is not terminated at byte " + cut.length);
    }
}
