package dev.trellis.gateway;

import static dev.trellis.gateway.support.Fixtures.DATASTORE_DOMAIN;
import static dev.trellis.gateway.support.Fixtures.VPC_A;
import static dev.trellis.gateway.support.Fixtures.datastore;
import static dev.trellis.gateway.support.Fixtures.defaultRule;
import static dev.trellis.gateway.support.Fixtures.forward;
import static dev.trellis.gateway.support.Fixtures.group;
import static dev.trellis.gateway.support.Fixtures.http;
import static dev.trellis.gateway.support.Fixtures.service;
import static dev.trellis.gateway.support.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.gateway.routing.ServiceRoute;
import dev.trellis.gateway.support.Signer;
import dev.trellis.gateway.support.TestBackend;
import dev.trellis.gateway.support.TestGateway;
import dev.trellis.model.snapshot.AuthLevel;
import dev.trellis.model.snapshot.CallerCredential;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.SnapshotCodec;
import dev.trellis.model.snapshot.SnapshotDecoder;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Swaps as the snapshot client makes them — JSON from the control plane, decoded against the snapshot before by a
 * {@link SnapshotDecoder}, then {@link GatewaySnapshots#swap} — cost per change: what did not change is the very
 * same object before and after (pools with their health, routes with their rules and forwarding position, compiled
 * credentials), and traffic follows what did change.
 */
class GatewaySnapshotSwapTest {

    private static final String FRONTEND_DOMAIN = "frontend-0f0f0f0f0f0f0f0f0.7d67968.vpc-lattice-svcs.us-west-2.on.aws";
    private static final Signer CALLER = new Signer("AKIDSWAPCALLER", "swap-caller-secret-0000000000000000000000");
    private static final String ALLOW_ALL = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":\"*\",\"Resource\":\"*\"}]}";

    private final SnapshotDecoder decoder = new SnapshotDecoder();
    private final CallerCredential caller = CALLER.assumedRole("aws-sigv4-client", "frontend", ALLOW_ALL);
    private TestBackend a1;
    private TestBackend b1;
    private TestBackend b2;

    @BeforeEach
    void startBackends() throws Exception {
        a1 = TestBackend.start("a1");
        b1 = TestBackend.start("b1");
        b2 = TestBackend.start("b2");
    }

    @AfterEach
    void stopBackends() {
        a1.close();
        b1.close();
        b2.close();
    }

    private static ServiceEntry frontend(String targetGroup) {
        return service("svc-0f0f0f0f0f0f0f0f0", "frontend", FRONTEND_DOMAIN, null, AuthLevel.NONE, AuthLevel.NONE,
                60, http(80, defaultRule(forward(targetGroup, 1))));
    }

    private VpcSnapshot revision(long revision, ServiceEntry datastore, ServiceEntry frontend,
                                 TargetGroupEntry... groups) {
        return snapshot(revision, List.of(datastore, frontend), List.of(groups), List.of(caller));
    }

    /** The control plane's JSON of {@code snapshot}, through the decoder, as the snapshot client receives it. */
    private VpcSnapshot received(VpcSnapshot snapshot) throws Exception {
        return decoder.decode(SnapshotCodec.encode(snapshot));
    }

    @Test
    void aSwapThatChangesOneTargetGroupRecompilesOnlyThatGroupAndTrafficFollowsIt() throws Exception {
        ServiceEntry datastore = datastore(http(80, defaultRule(forward("tg-a", 1))));
        try (TestGateway gateway = TestGateway.start(received(revision(1, datastore, frontend("tg-b"),
                group("tg-a", VPC_A, a1), group("tg-b", VPC_A, b1))))) {
            GatewaySnapshot before = gateway.snapshots().current();
            assertThat(gateway.get(FRONTEND_DOMAIN, 80, "/").body()).isEqualTo("b1");
            assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/").body()).isEqualTo("a1");

            // Revision 2: tg-b's target moves from b1 to b2; nothing else changes.
            GatewaySnapshot after = gateway.snapshots().swap(received(revision(2, datastore, frontend("tg-b"),
                    group("tg-a", VPC_A, a1), group("tg-b", VPC_A, b2))));

            assertThat(decoder.decodedEntries()).as("only tg-b was decoded").isEqualTo(1);
            assertThat(after.targetPool("tg-b")).isNotSameAs(before.targetPool("tg-b"));
            assertThat(after.targetPool("tg-a")).isSameAs(before.targetPool("tg-a"));
            assertThat(after.snapshot().services()).usingElementComparator((x, y) -> x == y ? 0 : 1)
                    .containsExactlyElementsOf(before.snapshot().services());
            assertThat(route(after, DATASTORE_DOMAIN)).isSameAs(route(before, DATASTORE_DOMAIN));
            assertThat(route(after, FRONTEND_DOMAIN)).isSameAs(route(before, FRONTEND_DOMAIN));
            assertThat(after.identityPolicies("AKIDSWAPCALLER"))
                    .isSameAs(before.identityPolicies("AKIDSWAPCALLER")).hasSize(1);
            assertThat(gateway.get(FRONTEND_DOMAIN, 80, "/").body()).isEqualTo("b2");
            assertThat(gateway.get(DATASTORE_DOMAIN, 80, "/").body()).isEqualTo("a1");
        }
    }

    @Test
    void aSwapThatChangesOneServiceRecompilesOnlyItsRoutesAndTrafficFollowsIt() throws Exception {
        ServiceEntry datastore = datastore(http(80, defaultRule(forward("tg-a", 1))));
        try (TestGateway gateway = TestGateway.start(received(revision(1, datastore, frontend("tg-b"),
                group("tg-a", VPC_A, a1), group("tg-b", VPC_A, b1))))) {
            GatewaySnapshot before = gateway.snapshots().current();

            // Revision 2: the frontend forwards to tg-a now (a rule change); the groups stay as they are.
            GatewaySnapshot after = gateway.snapshots().swap(received(revision(2, datastore, frontend("tg-a"),
                    group("tg-a", VPC_A, a1), group("tg-b", VPC_A, b1))));

            assertThat(decoder.decodedEntries()).as("only the frontend was decoded").isEqualTo(1);
            assertThat(route(after, FRONTEND_DOMAIN)).isNotSameAs(route(before, FRONTEND_DOMAIN));
            assertThat(route(after, DATASTORE_DOMAIN)).isSameAs(route(before, DATASTORE_DOMAIN));
            assertThat(after.targetPool("tg-a")).isSameAs(before.targetPool("tg-a"));
            assertThat(after.targetPool("tg-b")).isSameAs(before.targetPool("tg-b"));
            assertThat(gateway.get(FRONTEND_DOMAIN, 80, "/").body()).isEqualTo("a1");
        }
    }

    @Test
    void aChangedCallerIsCompiledAgainAndAnEqualButNewlyDecodedSnapshotStillServes() throws Exception {
        ServiceEntry datastore = datastore(http(80, defaultRule(forward("tg-a", 1))));
        VpcSnapshot first = revision(1, datastore, frontend("tg-b"), group("tg-a", VPC_A, a1),
                group("tg-b", VPC_A, b1));
        try (TestGateway gateway = TestGateway.start(received(first))) {
            GatewaySnapshot before = gateway.snapshots().current();
            CallerCredential denied = CALLER.assumedRole("aws-sigv4-client", "frontend",
                    ALLOW_ALL.replace("Allow", "Deny"));

            GatewaySnapshot after = gateway.snapshots().swap(received(snapshot(2, first.services(),
                    first.targetGroups(), List.of(denied))));

            assertThat(after.identityPolicies("AKIDSWAPCALLER"))
                    .isNotSameAs(before.identityPolicies("AKIDSWAPCALLER"));
            // Decoded without the decoder: equal entries, new objects. Compiled afresh (identity finds nothing)
            // but pools of equal groups are still reused, and requests are served.
            GatewaySnapshot fresh = gateway.snapshots().swap(SnapshotCodec.decode(SnapshotCodec.encode(first)));
            assertThat(route(fresh, FRONTEND_DOMAIN)).isNotSameAs(route(after, FRONTEND_DOMAIN));
            assertThat(fresh.targetPool("tg-a")).isSameAs(before.targetPool("tg-a"));
            assertThat(gateway.get(FRONTEND_DOMAIN, 80, "/").body()).isEqualTo("b1");
        }
    }

    private static ServiceRoute route(GatewaySnapshot snapshot, String host) {
        ServiceRoute route = snapshot.routing().find(host, 80);
        assertThat(route).as("route of " + host).isNotNull();
        return route;
    }
}
