package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.acm.AcmClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.ListenerProtocol;
import software.amazon.awssdk.services.vpclattice.model.Target;
import software.amazon.awssdk.services.vpclattice.model.TargetGroupType;

/**
 * Two VPCs with the same CIDR as two network namespaces with the same addresses: 10.0.0.5 is a target in each, and
 * 169.254.171.1 is each VPC's gateway. The control plane runs outside both. A client in VPC-A calls the datastore
 * service, whose target group lives in VPC-B: gateway A sends the request over the fabric to gateway B, which
 * proxies to B's 10.0.0.5 — the answer comes from B although A has a 10.0.0.5 of its own.
 *
 * <p>Needs root (CI runs as root); every namespace, interface and process is removed afterwards.
 */
class OverlappingVpcsTest {

    private static final String CIDR = "10.0.0.0/24";
    private static final String TARGET = "10.0.0.5";
    private static final String GATEWAY = "169.254.171.1";
    private static final String CUSTOM_DOMAIN = "datastore.sarathy.io";

    @TempDir
    Path dir;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private NetworkNamespace vpcA;
    private NetworkNamespace vpcB;
    private ServerProcess controlPlane;
    private String vpcIdA;
    private String vpcIdB;
    private String domainName;
    private StaticCredentialsProvider credentials;

    @BeforeEach
    void twoVpcsWithTheSameAddresses() throws Exception {
        assumeTrue(NetworkNamespace.supported(), "network namespaces need root and iproute2");
        String suffix = Long.toString(ProcessHandle.current().pid() % 100_000);
        vpcA = namespace("trl-a-" + suffix);
        vpcB = namespace("trl-b-" + suffix);
        // Each VPC: the target's address and the gateway's link-local address (on loopback: containers may lack
        // the dummy interface type, and nothing else needs to be on the VPC's subnet).
        for (NetworkNamespace vpc : List.of(vpcA, vpcB)) {
            vpc.ip("addr", "add", TARGET + "/32", "dev", "lo");
            vpc.ip("addr", "add", GATEWAY + "/32", "dev", "lo");
        }
        // Each VPC's uplink to the host, where the control plane listens.
        uplink(vpcA, "tla" + suffix, "192.168.250.1", "192.168.250.2");
        uplink(vpcB, "tlb" + suffix, "192.168.250.5", "192.168.250.6");
        // The fabric network between the two gateways.
        vpcA.ip("link", "add", "fabric", "type", "veth", "peer", "name", "fabric", "netns", vpcB.name());
        vpcA.ip("addr", "add", "192.168.251.1/30", "dev", "fabric");
        vpcB.ip("addr", "add", "192.168.251.2/30", "dev", "fabric");
        vpcA.ip("link", "set", "fabric", "up");
        vpcB.ip("link", "set", "fabric", "up");

        backend(vpcA, "answer-from-vpc-a");
        backend(vpcB, "answer-from-vpc-b");

        controlPlane = ServerProcess.start(dir.resolve("cp"), "h2", "192.168.250.1");
        cleanup.add(controlPlane);
        configureDatastoreInVpcB();
    }

    private NetworkNamespace namespace(String name) throws Exception {
        NetworkNamespace namespace = NetworkNamespace.create(name);
        cleanup.add(namespace);
        return namespace;
    }

    private static void uplink(NetworkNamespace vpc, String hostSide, String hostAddress, String vpcAddress)
            throws Exception {
        NetworkNamespace.ip(false, "link", "add", hostSide, "type", "veth", "peer", "name", "uplink", "netns",
                vpc.name());
        NetworkNamespace.ip(false, "addr", "add", hostAddress + "/30", "dev", hostSide);
        NetworkNamespace.ip(false, "link", "set", hostSide, "up");
        vpc.ip("addr", "add", vpcAddress + "/30", "dev", "uplink");
        vpc.ip("link", "set", "uplink", "up");
        vpc.ip("route", "add", "192.168.250.0/24", "via", hostAddress);
    }

    private void backend(NetworkNamespace vpc, String name) throws IOException {
        Process process = new ProcessBuilder("ip", "netns", "exec", vpc.name(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), NamedBackend.class.getName(), TARGET, "3000", name)
                .redirectErrorStream(true).start();
        cleanup.add(() -> {
            process.destroyForcibly();
            process.waitFor();
        });
        String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertThat(line).as("backend " + name).isEqualTo("listening");
    }

    private void configureDatastoreInVpcB() {
        credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(controlPlane.accessKeyId(), controlPlane.secretAccessKey()));
        try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build();
             VpcLatticeClient lattice = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint())
                     .region(Region.US_WEST_2).credentialsProvider(credentials).build()) {
            vpcIdA = ec2.createVpc(r -> r.cidrBlock(CIDR)).vpc().vpcId();
            vpcIdB = ec2.createVpc(r -> r.cidrBlock(CIDR)).vpc().vpcId();
            String network = lattice.createServiceNetwork(r -> r.name("eks-lattice-network")).id();
            lattice.createServiceNetworkVpcAssociation(r -> r.serviceNetworkIdentifier(network)
                    .vpcIdentifier(vpcIdA));
            String certificate;
            try (AcmClient acm = AcmClient.builder().endpointOverride(controlPlane.endpoint())
                    .region(Region.US_WEST_2).credentialsProvider(credentials).build()) {
                certificate = acm.requestCertificate(r -> r.domainName(CUSTOM_DOMAIN)).certificateArn();
            }
            var service = lattice.createService(r -> r.name("datastore").customDomainName(CUSTOM_DOMAIN)
                    .certificateArn(certificate));
            domainName = service.dnsEntry().domainName();
            String group = lattice.createTargetGroup(r -> r.name("datastore-v1").type(TargetGroupType.IP)
                    .config(c -> c.port(3000).protocol("HTTP").vpcIdentifier(vpcIdB))).id();
            lattice.registerTargets(r -> r.targetGroupIdentifier(group)
                    .targets(Target.builder().id(TARGET).port(3000).build()));
            lattice.createListener(r -> r.serviceIdentifier(service.id()).name("http")
                    .protocol(ListenerProtocol.HTTP).port(80)
                    .defaultAction(a -> a.forward(f -> f.targetGroups(t -> t.targetGroupIdentifier(group)))));
            lattice.createListener(r -> r.serviceIdentifier(service.id()).name("https")
                    .protocol(ListenerProtocol.HTTPS).port(443)
                    .defaultAction(a -> a.forward(f -> f.targetGroups(t -> t.targetGroupIdentifier(group)))));
            lattice.createServiceNetworkServiceAssociation(r -> r.serviceNetworkIdentifier(network)
                    .serviceIdentifier(service.id()));
        }
        // The walkthrough's private hosted zone, associated with VPC-A only: the custom domain is a CNAME of the
        // generated name.
        try (Route53Client route53 = Route53Client.builder().endpointOverride(controlPlane.endpoint())
                .region(Region.AWS_GLOBAL).credentialsProvider(credentials).build()) {
            String zone = route53.createHostedZone(r -> r.name("sarathy.io").callerReference("walkthrough")
                    .vpc(v -> v.vpcId(vpcIdA).vpcRegion("us-west-2"))
                    .hostedZoneConfig(c -> c.privateZone(true))).hostedZone().id();
            route53.changeResourceRecordSets(r -> r.hostedZoneId(zone).changeBatch(b -> b.changes(c -> c
                    .action(ChangeAction.CREATE).resourceRecordSet(rr -> rr.name(CUSTOM_DOMAIN)
                            .type(RRType.CNAME).ttl(300L).resourceRecords(v -> v.value(domainName))))));
        }
    }

    private GatewayProcess gateway(NetworkNamespace vpc, String vpcId, String fabricAddress, String... more)
            throws IOException {
        List<String> args = new ArrayList<>(List.of("--fabric-address", fabricAddress, "--admin-port", "0"));
        args.addAll(List.of(more));
        GatewayProcess gateway = GatewayProcess.start(vpc.name(), vpcId, controlPlane.endpoint(),
                controlPlane.accessKeyId(), controlPlane.secretAccessKey(), dir.resolve(vpcId),
                args.toArray(String[]::new));
        cleanup.add(gateway);
        return gateway;
    }

    @AfterEach
    void removeEverything() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            try {
                cleanup.get(i).close();
            } catch (Exception e) {
                System.err.println("cleanup: " + e);
            }
        }
    }

    @Test
    void aClientInVpcAReachesTheTargetInVpcBThroughTheFabricDespiteTheSameAddresses() throws Exception {
        assertThat(vpcA.exec("curl", "-s", "--max-time", "5", "http://" + TARGET + ":3000/direct"))
                .as("VPC-A has a 10.0.0.5 of its own").startsWith("answer-from-vpc-a");

        GatewayProcess gatewayB = gateway(vpcB, vpcIdB, "192.168.251.2");
        gateway(vpcA, vpcIdA, "192.168.251.1");

        String url = "http://" + GATEWAY + "/summary";
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(curl(vpcA, url)).startsWith("200 answer-from-vpc-b"));
        assertThat(curl(vpcA, url))
                .as("B's target sees the caller's VPC and the routing decision made in A")
                .startsWith("200 answer-from-vpc-b /summary source-vpc=" + vpcIdA + " target=ServiceArn=")
                .contains("TargetGroupArn=arn:aws:vpc-lattice:us-west-2:");

        // Static stability across the fabric: with the control plane gone, B's gateway restarts from its persisted
        // snapshot and fabric identity (same port, same certificate), and A's requests still reach B's target.
        controlPlane.kill();
        gatewayB.terminate();
        GatewayProcess restartedB = gateway(vpcB, vpcIdB, "192.168.251.2");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(curl(vpcA, url)).startsWith("200 answer-from-vpc-b"));
        assertThat(restartedB.log()).contains("using the persisted fabric certificate");
    }

    @Test
    void aClientInVpcAResolvesTheCustomDomainWithItsGatewaysDnsAndCallsItOverHttps() throws Exception {
        // Each VPC's resolver is its gateway (ip netns exec bind-mounts /etc/netns/<name>/resolv.conf). VPC-B's
        // gateway forwards what is not its VPC's to an upstream that knows nothing (NXDOMAIN), as the internet's
        // resolvers know nothing of a private zone.
        resolvConf(vpcA);
        resolvConf(vpcB);
        AutoCloseable upstream = NxdomainResolver.start("192.168.250.5", 53);
        cleanup.add(upstream);
        gateway(vpcB, vpcIdB, "192.168.251.2", "--dns-upstream", "192.168.250.5");
        gateway(vpcA, vpcIdA, "192.168.251.1");
        String ca = dir.resolve("cp").resolve("ca.pem").toString();

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(vpcA.run("dig", "+short", CUSTOM_DOMAIN).output()).contains(GATEWAY));
        assertThat(vpcA.exec("dig", "+short", CUSTOM_DOMAIN).strip().split("\\s+"))
                .as("the CNAME chain, resolved by the gateway").containsExactly(domainName + ".", GATEWAY);
        assertThat(vpcA.exec(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Resolve.class.getName(), CUSTOM_DOMAIN).strip())
                .as("the JDK's resolver").isEqualTo(GATEWAY);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(vpcB.run("dig", CUSTOM_DOMAIN).output()).as("VPC-B is not associated with the zone")
                        .contains("status: NXDOMAIN"));

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(vpcA.run("curl", "-s", "--max-time", "5", "--cacert", ca, "--http2", "-w",
                        "\n%{http_version}", "https://" + CUSTOM_DOMAIN + "/summary").output())
                        .startsWith("answer-from-vpc-b /summary source-vpc=" + vpcIdA)
                        .endsWith("\n2"));

        NetworkNamespace.Result noCertificate = vpcA.run("curl", "-s", "--max-time", "5", "--cacert", ca,
                "--resolve", "nocert.sarathy.io:443:" + GATEWAY, "https://nocert.sarathy.io/");
        assertThat(noCertificate.exitCode()).as("a name without a certificate fails the handshake (curl 35)")
                .isEqualTo(35);
    }

    private void resolvConf(NetworkNamespace vpc) throws IOException {
        Path file = Path.of("/etc/netns", vpc.name(), "resolv.conf");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "nameserver " + GATEWAY + "\n");
        cleanup.add(() -> {
            Files.deleteIfExists(file);
            Files.deleteIfExists(file.getParent());
        });
    }

    /**
     * "status body" of a curl call made inside {@code vpc} with the datastore's generated name as Host; "000 curl
     * exit N" when nothing answered (a gateway still starting), so that awaits keep polling.
     */
    private String curl(NetworkNamespace vpc, String url) throws Exception {
        NetworkNamespace.Result result = vpc.run("curl", "-s", "--max-time", "5", "-H", "Host: " + domainName,
                "-w", "\n%{http_code}", url);
        if (result.exitCode() != 0) {
            return "000 curl exit " + result.exitCode();
        }
        String out = result.output();
        int split = out.lastIndexOf('\n');
        return out.substring(split + 1) + " " + out.substring(0, split);
    }
}
