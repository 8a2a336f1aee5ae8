package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.identity.IdentityDirectory;
import dev.trellis.gateway.snapshot.ControlPlaneClient;
import dev.trellis.gateway.snapshot.ControlPlaneException;
import dev.trellis.gateway.snapshot.GatewayCertificate;
import dev.trellis.gateway.snapshot.SnapshotClient;
import dev.trellis.model.gateway.TargetHealthReport;
import dev.trellis.model.snapshot.FabricPeer;
import dev.trellis.model.snapshot.SnapshotCodec;
import dev.trellis.model.snapshot.TargetGroupEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.ByteArrayInputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.Target;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;
import software.amazon.awssdk.services.vpclattice.model.TargetStatus;
import software.amazon.awssdk.services.vpclattice.model.TargetSummary;

/**
 * The control plane's side of the gateways, through the gateway's own client against a real control plane:
 * registration and the certificate it returns, fabric peers in other VPCs' snapshots, target health reports that
 * reach ListTargets without waking long-polls, draining targets, and a client that closes at once.
 *
 * <p>VPC A is associated with the service network and reaches the service; VPC B holds its target group and is
 * associated with nothing — its gateway still gets the group, to serve it for A over the fabric.
 */
class GatewayControlPlaneTest {

    private static final Duration DRAIN = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    private ControlPlane controlPlane;
    private IdentityDirectory.AdminCredentials admin;
    private StaticCredentialsProvider adminCredentials;
    private VpcLatticeClient lattice;
    private ControlPlaneClient client;
    private String vpcA;
    private String vpcB;
    private String groupId;

    @BeforeEach
    void serviceInAWithItsTargetsInB() throws InterruptedException {
        controlPlane = ControlPlane.start(new ControlPlane.Options(dir.resolve("cp"), "127.0.0.1", 0, "h2",
                ControlPlaneConfig.defaults("us-west-2", "111122223333").withDeregistrationDelay(DRAIN)),
                Clock.systemUTC());
        admin = controlPlane.firstStartCredentials().orElseThrow();
        adminCredentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey()));
        try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(adminCredentials).build()) {
            vpcA = ec2.createVpc(r -> r.cidrBlock("10.0.0.0/24")).vpc().vpcId();
            vpcB = ec2.createVpc(r -> r.cidrBlock("10.0.0.0/24")).vpc().vpcId();
        }
        lattice = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(adminCredentials).build();
        String network = lattice.createServiceNetwork(r -> r.name("eks-lattice-network")).id();
        lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(network).vpcIdentifier(vpcA));
        String service = lattice.createService(r -> r.name("datastore")).id();
        groupId = lattice.createTargetGroup(r -> r.name("datastore-v1").type(TargetGroupType.IP)
                .config(c -> c.port(3000).protocol("HTTP").vpcIdentifier(vpcB)
                        .healthCheck(h -> h.enabled(true)))).id();
        lattice.registerTargets(r -> r.targetGroupIdentifier(groupId).targets(target("10.0.0.5"),
                target("10.0.0.6")));
        lattice.createListener(r -> r.serviceIdentifier(service).name("http").protocol(ListenerProtocol.HTTP)
                .port(80).defaultAction(a -> a.forward(f -> f.targetGroups(t -> t.targetGroupIdentifier(groupId)))));
        lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(network)
                .serviceIdentifier(service));
        lattice.createAccessLogSubscription(r -> r.resourceIdentifier(service)
                .destinationArn("arn:aws:logs:us-west-2:111122223333:log-group:datastore"));
        lattice.createAccessLogSubscription(r -> r.resourceIdentifier(network)
                .destinationArn("arn:aws:s3:::network-logs"));
        client = new ControlPlaneClient(controlPlane.endpoint(), "us-west-2", admin.accessKeyId(),
                admin.secretAccessKey());
    }

    private static Target target(String ip) {
        return Target.builder().id(ip).port(3000).build();
    }

    @AfterEach
    void stop() {
        client.close();
        lattice.close();
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    private VpcSnapshot snapshot(String vpc) throws Exception {
        return SnapshotCodec.decode(client.snapshot(vpc, -1, 0));
    }

    private static KeyPair p256() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    @Test
    void theTargetsVpcGetsItsGroupUnassociatedAndTheClientVpcGetsTheAccessLogDestinations() throws Exception {
        VpcSnapshot b = snapshot(vpcB);
        assertThat(b.services()).as("B is associated with no network").isEmpty();
        assertThat(b.targetGroups()).singleElement().satisfies(g -> {
            assertThat(g.id()).isEqualTo(groupId);
            assertThat(g.targets()).extracting(TargetGroupEntry.Target::id).containsExactly("10.0.0.5", "10.0.0.6");
            assertThat(g.healthCheck().enabled()).isTrue();
        });

        VpcSnapshot a = snapshot(vpcA);
        assertThat(a.services()).singleElement().satisfies(s -> assertThat(s.accessLogDestinations())
                .containsExactly("arn:aws:logs:us-west-2:111122223333:log-group:datastore",
                        "arn:aws:s3:::network-logs"));
    }

    @Test
    void registrationIssuesACertificateForTheVpcsFabricNameThatChainsToTheCaAndMakesAPeer() throws Exception {
        KeyPair keys = p256();
        GatewayCertificate issued = client.register(vpcB, "gw-1", "192.0.2.10", 7443, keys);

        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        List<X509Certificate> chain = new ArrayList<>();
        x509.generateCertificates(new ByteArrayInputStream(issued.certificateChainPem()
                .getBytes(StandardCharsets.US_ASCII))).forEach(c -> chain.add((X509Certificate) c));
        X509Certificate ca = (X509Certificate) x509.generateCertificate(Files.newInputStream(
                dir.resolve("cp").resolve("ca.pem")));
        X509Certificate leaf = chain.get(0);
        assertThat(chain).hasSize(2);
        assertThat(chain.get(1)).isEqualTo(ca);
        assertThat(x509.generateCertificate(new ByteArrayInputStream(issued.caCertificatePem()
                .getBytes(StandardCharsets.US_ASCII)))).isEqualTo(ca);
        leaf.verify(ca.getPublicKey());
        assertThat(leaf.getPublicKey()).isEqualTo(keys.getPublic());
        assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(2, vpcB + ".gateway.trellis.internal"));
        assertThat(leaf.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(issued.notAfter()).isEqualTo(leaf.getNotAfter().toInstant())
                .isBetween(Instant.now().plus(Duration.ofDays(7)).minusSeconds(60),
                        Instant.now().plus(Duration.ofDays(7)).plusSeconds(1));

        assertThat(snapshot(vpcA).peers()).containsExactly(new FabricPeer(vpcB, "192.0.2.10", 7443));
        assertThat(snapshot(vpcB).peers()).as("a VPC's own gateways are not its peers").isEmpty();

        client.register(vpcB, "gw-1", "192.0.2.10", 8443, p256());
        client.register(vpcB, "gw-2", "gw-2.vpc-b.example", 7443, p256());
        assertThat(snapshot(vpcA).peers()).containsExactly(new FabricPeer(vpcB, "192.0.2.10", 8443),
                new FabricPeer(vpcB, "gw-2.vpc-b.example", 7443));

        client.deregister(vpcB, "gw-1");
        assertThat(snapshot(vpcA).peers()).containsExactly(new FabricPeer(vpcB, "gw-2.vpc-b.example", 7443));
    }

    @Test
    void badRegistrationsAreRefusedNamingTheField() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        assertThat(refused(() -> client.register(vpcB, "gw-1", "192.0.2.10", 7443, rsa.generateKeyPair())))
                .hasMessageContaining("publicKey: an RSA key must have at least 2048 bits, not 1024");
        assertThat(refused(() -> client.register(vpcB, "gw 1!", "192.0.2.10", 7443, p256())))
                .hasMessageContaining("gatewayId: must be 1-64 characters");
        assertThat(refused(() -> client.register(vpcB, "gw-1", "not a host", 7443, p256())))
                .hasMessageContaining("fabricHost: 'not a host' is not an IP address or a DNS name");
        assertThat(refused(() -> client.register(vpcB, "gw-1", "192.0.2.10", 70000, p256())))
                .hasMessageContaining("fabricPort: must be a port number 1-65535");
        assertThat(refused(() -> client.register("vpc-nothex!", "gw-1", "192.0.2.10", 7443, p256())))
                .hasMessageContaining("vpcId: 'vpc-nothex!' is not a VPC id");
        ControlPlaneException unknownVpc = catchThrowableOfType(ControlPlaneException.class,
                () -> client.register("vpc-0123abcd", "gw-1", "192.0.2.10", 7443, p256()));
        assertThat(unknownVpc.status()).isEqualTo(404);
        assertThat(unknownVpc.errorCode()).isEqualTo("ResourceNotFoundException");
        assertThat(refused(() -> client.reportTargetHealth(vpcA, List.of(new TargetHealthReport(groupId,
                "10.0.0.5", 3000, "HEALTHY", null))))).as("the group lives in B, not A")
                .hasMessageContaining("reports.targetGroupId: '" + groupId + "' is not a target group in " + vpcA);
        assertThat(refused(() -> client.reportTargetHealth(vpcB, List.of(new TargetHealthReport(groupId,
                "10.0.0.5", 3000, "FINE", null))))).hasMessageContaining("reports[0].status: must be one of");
    }

    private static ControlPlaneException refused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        ControlPlaneException e = catchThrowableOfType(ControlPlaneException.class, call);
        assertThat(e).as("refused").isNotNull();
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.errorCode()).isEqualTo("ValidationException");
        return e;
    }

    @Test
    void callersWithoutThePermissionAreRefused() throws Exception {
        // A gateway identity that may only watch (an IAM user made in-process: the CLI tests have no IAM client).
        IdentityDirectory.AccessKey key = new IdentityDirectory(controlPlane.store(), controlPlane.config(),
                Clock.systemUTC()).createUserWithAccessKey("gateway-b", java.util.Map.of("watch",
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                        + "\"trellis:GetVpcSnapshot\",\"Resource\":\"*\"}]}"));
        try (ControlPlaneClient watcher = new ControlPlaneClient(controlPlane.endpoint(), "us-west-2",
                key.accessKeyId(), key.secretAccessKey())) {
            assertThat(watcher.snapshot(vpcB, -1, 0)).isNotNull();
            ControlPlaneException register = catchThrowableOfType(ControlPlaneException.class,
                    () -> watcher.register(vpcB, "gw-1", "192.0.2.10", 7443, p256()));
            assertThat(register.status()).isEqualTo(403);
            assertThat(register.errorCode()).isEqualTo("AccessDeniedException");
            assertThat(register.getMessage()).contains("trellis:RegisterGateway",
                    "arn:aws:trellis:us-west-2:111122223333:vpc/" + vpcB);
            ControlPlaneException report = catchThrowableOfType(ControlPlaneException.class,
                    () -> watcher.reportTargetHealth(vpcB, List.of()));
            assertThat(report.status()).isEqualTo(403);
            assertThat(report.getMessage()).contains("trellis:ReportTargetHealth");
        }
        assertThat(snapshot(vpcA).peers()).isEmpty();
    }

    @Test
    void healthReportsShowInListTargetsWithoutWakingTheLongPoll() throws Exception {
        VpcSnapshot b = snapshot(vpcB);
        long started = System.nanoTime();
        CompletableFuture<byte[]> longPoll = CompletableFuture.supplyAsync(() -> {
            try {
                return client.snapshot(vpcB, b.revision(), 3);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);

        client.reportTargetHealth(vpcB, List.of(
                new TargetHealthReport(groupId, "10.0.0.5", 3000, "HEALTHY", null),
                new TargetHealthReport(groupId, "10.0.0.6", 3000, "UNHEALTHY", "HealthCheckFailed")));

        assertThat(lattice.listTargets(r -> r.targetGroupIdentifier(groupId)).items())
                .extracting(TargetSummary::id, TargetSummary::status, TargetSummary::reasonCode)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("10.0.0.5", TargetStatus.HEALTHY, null),
                        org.assertj.core.groups.Tuple.tuple("10.0.0.6", TargetStatus.UNHEALTHY, "HealthCheckFailed"));
        assertThat(longPoll.get(10, TimeUnit.SECONDS)).as("no new snapshot: 304").isNull();
        long waitedMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();
        assertThat(waitedMillis).as("the long-poll waited out its 3 s").isGreaterThanOrEqualTo(2900);
        System.out.println("long-poll across a health report answered 304 after " + waitedMillis + " ms");
    }

    @Test
    void aDeregisteredTargetDrainsThenDisappearsAndReportsDoNotChangeThat() throws Exception {
        long before = snapshot(vpcB).revision();
        lattice.deregisterTargets(r -> r.targetGroupIdentifier(groupId).targets(target("10.0.0.5")));
        client.reportTargetHealth(vpcB, List.of(new TargetHealthReport(groupId, "10.0.0.5", 3000, "HEALTHY",
                null)));

        assertThat(lattice.listTargets(r -> r.targetGroupIdentifier(groupId)).items())
                .extracting(TargetSummary::id, TargetSummary::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("10.0.0.5", TargetStatus.DRAINING),
                        org.assertj.core.groups.Tuple.tuple("10.0.0.6", TargetStatus.INITIAL));
        VpcSnapshot draining = SnapshotCodec.decode(client.snapshot(vpcB, before, 5));
        assertThat(draining.targetGroups().get(0).targets()).containsExactly(
                new TargetGroupEntry.Target("10.0.0.5", 3000, true),
                new TargetGroupEntry.Target("10.0.0.6", 3000, false));

        // No write happens when the drain ends: the long-poll itself notices and answers.
        long started = System.nanoTime();
        VpcSnapshot drained = SnapshotCodec.decode(client.snapshot(vpcB, draining.revision(), 10));
        long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
        assertThat(drained.targetGroups().get(0).targets()).extracting(TargetGroupEntry.Target::id)
                .containsExactly("10.0.0.6");
        assertThat(millis).isLessThan(DRAIN.toMillis() + 1500);
        assertThat(lattice.listTargets(r -> r.targetGroupIdentifier(groupId)).items())
                .extracting(TargetSummary::id).containsExactly("10.0.0.6");
        System.out.println("a drained target left the watching gateway's snapshot " + millis + " ms after the"
                + " long-poll began");
    }

    @Test
    void aTargetRegisteredAgainWhileDrainingIsANormalTargetAgain() throws Exception {
        lattice.deregisterTargets(r -> r.targetGroupIdentifier(groupId).targets(target("10.0.0.5")));
        lattice.registerTargets(r -> r.targetGroupIdentifier(groupId).targets(target("10.0.0.5")));
        Thread.sleep(DRAIN.toMillis() + 200);

        assertThat(lattice.listTargets(r -> r.targetGroupIdentifier(groupId)).items())
                .extracting(TargetSummary::id, TargetSummary::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("10.0.0.5", TargetStatus.INITIAL),
                        org.assertj.core.groups.Tuple.tuple("10.0.0.6", TargetStatus.INITIAL));
        assertThat(snapshot(vpcB).targetGroups().get(0).targets()).noneMatch(TargetGroupEntry.Target::draining);
    }

    @Test
    void closingTheClientAbortsALongPollAtOnce() throws Exception {
        AtomicReference<VpcSnapshot> served = new AtomicReference<>();
        Path gatewayDir = dir.resolve("gw-b");
        SnapshotClient watcher = new SnapshotClient(new SnapshotClient.Settings(controlPlane.endpoint(), vpcB,
                "us-west-2", admin.accessKeyId(), admin.secretAccessKey(), gatewayDir), served::set);
        watcher.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> served.get() != null);
        assertThat(Files.getPosixFilePermissions(watcher.persistedSnapshot()))
                .as("the persisted snapshot holds derived keys").isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Thread.sleep(300); // the client is now in its 30 s long-poll

        long started = System.nanoTime();
        watcher.close();
        long closeMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();

        CompletableFuture<Throwable> aborted = CompletableFuture.supplyAsync(() -> catchThrowableOfType(
                InterruptedIOException.class, () -> client.snapshot(vpcB, served.get().revision(), 30)));
        Thread.sleep(300);
        long clientStarted = System.nanoTime();
        client.close();
        assertThat(aborted.get(2, TimeUnit.SECONDS)).isInstanceOf(InterruptedIOException.class);
        long abortMillis = Duration.ofNanos(System.nanoTime() - clientStarted).toMillis();

        long stopStarted = System.nanoTime();
        controlPlane.close();
        controlPlane = null;
        long stopMillis = Duration.ofNanos(System.nanoTime() - stopStarted).toMillis();
        assertThat(closeMillis).isLessThan(500);
        assertThat(abortMillis).isLessThan(500);
        assertThat(stopMillis).as("no long-poll holds the server").isLessThan(5000);
        System.out.println("close: snapshot client " + closeMillis + " ms, a call in progress aborted in "
                + abortMillis + " ms, control plane stopped in " + stopMillis + " ms");
    }
}
