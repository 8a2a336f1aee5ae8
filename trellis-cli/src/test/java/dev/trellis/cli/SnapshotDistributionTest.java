package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.gateway.snapshot.SnapshotClient;
import dev.trellis.model.snapshot.ListenerRule;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.SnapshotCodec;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.HeaderMatchType;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.RuleAction;
import software.amazon.awssdk.services.vpclattice.model.Target;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;
import software.amazon.awssdk.services.vpclattice.model.WeightedTargetGroup;

/**
 * The walkthrough's configuration, made through the public APIs, reaches each VPC's gateway as a snapshot: the
 * client VPC sees the datastore service with its rules, the datastore's VPC also sees its targets; a change arrives
 * by long-poll; a restarted gateway serves its persisted snapshot while the control plane is down.
 */
class SnapshotDistributionTest {

    @TempDir
    Path dir;

    private ControlPlane controlPlane;
    private IdentityDirectory.AdminCredentials admin;
    private VpcLatticeClient lattice;
    private String vpcA;
    private String vpcB;
    private String listenerId;
    private String serviceId;
    private String v2;

    @BeforeEach
    void walkthroughConfiguration() throws InterruptedException {
        controlPlane = ControlPlane.start(new ControlPlane.Options(dir.resolve("cp"), "127.0.0.1", 0, "h2",
                ControlPlaneConfig.defaults("us-west-2", "111122223333")), Clock.systemUTC());
        admin = controlPlane.firstStartCredentials().orElseThrow();
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey()));
        try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build()) {
            vpcA = ec2.createVpc(r -> r.cidrBlock("10.0.0.0/24")).vpc().vpcId();
            vpcB = ec2.createVpc(r -> r.cidrBlock("10.0.0.0/24")).vpc().vpcId();
        }
        lattice = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build();
        String network = lattice.createServiceNetwork(r -> r.name("eks-lattice-network")).id();
        lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(network).vpcIdentifier(vpcA));
        lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(network).vpcIdentifier(vpcB));
        serviceId = lattice.createService(r -> r.name("datastore").customDomainName("datastore.sarathy.io")).id();
        String v1 = targetGroup("datastore-v1", "10.0.0.5");
        v2 = targetGroup("datastore-v2", "10.0.0.6");
        listenerId = lattice.createListener(r -> r.serviceIdentifier(serviceId).name("http").protocol(
                ListenerProtocol.HTTP).port(80).defaultAction(a -> a.fixedResponse(f -> f.statusCode(404)))).id();
        lattice.createRule(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listenerId).name("popular")
                .priority(10).match(m -> m.httpMatch(h -> h.pathMatch(p -> p.match(t -> t.prefix("/popular")))))
                .action(forward(weighted(v1, 100))));
        lattice.createRule(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listenerId).name("summary")
                .priority(20).match(m -> m.httpMatch(h -> h.pathMatch(p -> p.match(t -> t.prefix("/summary")))))
                .action(forward(weighted(v1, 50), weighted(v2, 50))));
        lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(network)
                .serviceIdentifier(serviceId));
    }

    private String targetGroup(String name, String ip) {
        String id = lattice.createTargetGroup(r -> r.name(name).type(TargetGroupType.IP)
                .config(c -> c.port(3000).protocol("HTTP").vpcIdentifier(vpcB))).id();
        lattice.registerTargets(r -> r.targetGroupIdentifier(id).targets(Target.builder().id(ip).port(3000).build()));
        return id;
    }

    private static WeightedTargetGroup weighted(String id, int weight) {
        return WeightedTargetGroup.builder().targetGroupIdentifier(id).weight(weight).build();
    }

    private static RuleAction forward(WeightedTargetGroup... groups) {
        return RuleAction.builder().forward(f -> f.targetGroups(groups)).build();
    }

    /** A rule at priority 5 that sends {@code x-canary: true} to datastore-v2: a change every gateway sees. */
    private void addCanaryRule() {
        lattice.createRule(r -> r.serviceIdentifier(serviceId).listenerIdentifier(listenerId).name("canary")
                .priority(5).match(m -> m.httpMatch(h -> h.headerMatches(hm -> hm.name("x-canary")
                        .match(HeaderMatchType.builder().exact("true").build()))))
                .action(forward(weighted(v2, 1))));
    }

    /**
     * Waits for the first snapshot {@code served} gets, adds the canary rule, and waits for the revision that has it.
     *
     * @return the milliseconds from the API call to that revision's arrival
     */
    private long addCanaryRuleAndAwaitIt(AtomicReference<VpcSnapshot> served) {
        await().atMost(Duration.ofSeconds(10)).until(() -> served.get() != null);
        long before = served.get().revision();
        long changedAt = System.nanoTime();
        addCanaryRule();
        await().atMost(Duration.ofSeconds(5)).until(() -> served.get().revision() > before);
        return Duration.ofNanos(System.nanoTime() - changedAt).toMillis();
    }

    @AfterEach
    void stop() {
        lattice.close();
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    private SnapshotClient client(String vpc, Path dataDir, AtomicReference<VpcSnapshot> served) {
        return new SnapshotClient(new SnapshotClient.Settings(controlPlane.endpoint(), vpc, "us-west-2",
                admin.accessKeyId(), admin.secretAccessKey(), dataDir), served::set);
    }

    @Test
    void eachVpcGetsTheServicesItReachesAndOnlyItsOwnTargets() {
        AtomicReference<VpcSnapshot> a = new AtomicReference<>();
        AtomicReference<VpcSnapshot> b = new AtomicReference<>();
        try (SnapshotClient clientA = client(vpcA, dir.resolve("gw-a"), a);
             SnapshotClient clientB = client(vpcB, dir.resolve("gw-b"), b)) {
            clientA.start();
            clientB.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> a.get() != null && b.get() != null);

            ServiceEntry datastore = a.get().services().get(0);
            assertThat(datastore.name()).isEqualTo("datastore");
            assertThat(datastore.customDomainName()).isEqualTo("datastore.sarathy.io");
            assertThat(datastore.listeners().get(0).rules()).extracting(ListenerRule::priority)
                    .containsExactly(10, 20, null);
            assertThat(a.get().targetGroups()).allSatisfy(g -> {
                assertThat(g.vpcId()).isEqualTo(vpcB);
                assertThat(g.targets()).as("targets of another VPC stay there").isEmpty();
            });
            assertThat(b.get().targetGroups()).flatExtracting(TargetGroupEntry::targets)
                    .extracting(TargetGroupEntry.Target::id).containsExactlyInAnyOrder("10.0.0.5", "10.0.0.6");
            assertThat(b.get().targetGroups()).allSatisfy(g -> assertThat(g.healthCheck().path()).isEqualTo("/"));
        }
    }

    @Test
    void aChangeReachesTheWatchingGatewayByLongPoll() {
        AtomicReference<VpcSnapshot> a = new AtomicReference<>();
        try (SnapshotClient clientA = client(vpcA, dir.resolve("gw-a"), a)) {
            clientA.start();
            long millis = addCanaryRuleAndAwaitIt(a);

            List<ListenerRule> rules = a.get().services().get(0).listeners().get(0).rules();
            assertThat(rules.get(0).priority()).isEqualTo(5);
            System.out.println("snapshot change propagated in " + millis + " ms");
        }
    }

    @Test
    void aRestartedGatewayServesItsPersistedSnapshotWhileTheControlPlaneIsDown() throws Exception {
        AtomicReference<VpcSnapshot> first = new AtomicReference<>();
        Path gatewayDir = dir.resolve("gw-a");
        try (SnapshotClient clientA = client(vpcA, gatewayDir, first)) {
            clientA.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> first.get() != null);
            assertThat(Files.exists(clientA.persistedSnapshot())).isTrue();
        }
        controlPlane.close();

        AtomicReference<VpcSnapshot> restarted = new AtomicReference<>();
        try (SnapshotClient clientA = new SnapshotClient(new SnapshotClient.Settings(controlPlane.endpoint(), vpcA,
                "us-west-2", admin.accessKeyId(), admin.secretAccessKey(), gatewayDir), restarted::set)) {
            clientA.start();

            assertThat(restarted.get()).isEqualTo(first.get());
        } finally {
            controlPlane = null;
        }
    }

    @Test
    void thePersistedSnapshotIsTheBytesReceivedAndOnlyItsOwnerMayReadThem() throws Exception {
        AtomicReference<VpcSnapshot> a = new AtomicReference<>();
        try (SnapshotClient clientA = client(vpcA, dir.resolve("gw-a"), a)) {
            clientA.start();
            addCanaryRuleAndAwaitIt(a);

            // the control plane sends SnapshotCodec's encoding; the file holds the last revision's, byte for byte
            Path file = clientA.persistedSnapshot();
            assertThat(Files.readAllBytes(file)).isEqualTo(SnapshotCodec.encode(a.get()));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            try (var files = Files.list(file.getParent())) {
                assertThat(files.map(f -> f.getFileName().toString())).containsExactly(file.getFileName().toString());
            }
        }
    }

    @Test
    void aSnapshotThatCannotBePersistedIsServedAllTheSame() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("a-file"), "not a directory");
        AtomicReference<VpcSnapshot> a = new AtomicReference<>();
        try (SnapshotClient clientA = client(vpcA, notADirectory.resolve("gw-a"), a)) {
            clientA.start();
            addCanaryRuleAndAwaitIt(a);

            assertThat(a.get().services().get(0).listeners().get(0).rules().get(0).priority()).isEqualTo(5);
            assertThat(Files.exists(clientA.persistedSnapshot())).isFalse();
        }
    }
}
