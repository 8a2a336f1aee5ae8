package dev.trellis.controlplane.route53;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import dev.trellis.controlplane.TestVpcs;
import dev.trellis.controlplane.identity.IdentityDirectory;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.vpclattice.VpcLatticeClient;
import software.amazon.awssdk.services.vpclattice.model.CreateServiceResponse;

/**
 * The walkthrough's custom domain (reference/seed: "a DNS CNAME record in a Route 53 private-hosted zone associated
 * with VPC-B", and VPC-A associated too so the frontend resolves it): the datastore service is created with VPC
 * Lattice, the zone sarathy.io with Route 53, and what the VPCs' DNS will serve is read back with
 * {@link HostedZones#forVpc}.
 */
class Route53WalkthroughTest {

    private String vpcA;
    private String vpcB;
    private String vpcC;

    @TempDir
    Path dataDir;

    private ControlPlane controlPlane;
    private VpcLatticeClient lattice;
    private Route53Client route53;

    @BeforeEach
    void start() throws InterruptedException {
        controlPlane = ControlPlane.start(new ControlPlane.Options(dataDir, "127.0.0.1", 0, "h2",
                ControlPlaneConfig.defaults("us-west-2", "111122223333")), Clock.systemUTC());
        IdentityDirectory.AdminCredentials admin = controlPlane.firstStartCredentials().orElseThrow();
        vpcA = TestVpcs.create(controlPlane, admin);
        vpcB = TestVpcs.create(controlPlane, admin);
        vpcC = TestVpcs.create(controlPlane, admin);
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey()));
        lattice = VpcLatticeClient.builder().endpointOverride(controlPlane.endpoint()).region(Region.US_WEST_2)
                .credentialsProvider(credentials).build();
        route53 = Route53Client.builder().endpointOverride(controlPlane.endpoint()).region(Region.AWS_GLOBAL)
                .credentialsProvider(credentials).build();
    }

    @AfterEach
    void stop() {
        lattice.close();
        route53.close();
        controlPlane.close();
    }

    private List<PrivateHostedZone> zonesOf(String vpc) {
        return controlPlane.store().read(tx -> HostedZones.forVpc(tx, vpc));
    }

    @Test
    void theDatastoresCustomDomainResolvesInBothVpcsOfTheZoneAndNowhereElse() {
        CreateServiceResponse datastore = lattice.createService(r -> r.name("datastore")
                .customDomainName("datastore.sarathy.io"));
        String generated = datastore.dnsEntry().domainName();
        assertThat(generated).endsWith(".7d67968.vpc-lattice-svcs.us-west-2.on.aws");

        String zoneId = route53.createHostedZone(r -> r.name("sarathy.io").callerReference("walkthrough")
                .vpc(v -> v.vpcRegion("us-west-2").vpcId(vpcB))
                .hostedZoneConfig(c -> c.privateZone(true).comment("custom domains of the walkthrough")))
                .hostedZone().id();
        route53.associateVPCWithHostedZone(r -> r.hostedZoneId(zoneId).vpc(v -> v.vpcRegion("us-west-2")
                .vpcId(vpcA)));
        route53.changeResourceRecordSets(r -> r.hostedZoneId(zoneId).changeBatch(b -> b.changes(c -> c
                .action(ChangeAction.CREATE).resourceRecordSet(s -> s.name("datastore.sarathy.io").type(RRType.CNAME)
                        .ttl(300L).resourceRecords(v -> v.value(generated))))));

        for (String vpc : List.of(vpcA, vpcB)) {
            List<PrivateHostedZone> zones = zonesOf(vpc);
            assertThat(zones).as(vpc).singleElement().satisfies(zone -> {
                assertThat(zone.id()).isEqualTo(zoneId);
                assertThat(zone.name()).isEqualTo("sarathy.io.");
                assertThat(zone.vpcIds()).containsExactly(vpcB, vpcA);
                assertThat(zone.recordSets()).extracting(RecordSet::name, RecordSet::type).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("sarathy.io.", "NS"),
                        org.assertj.core.groups.Tuple.tuple("sarathy.io.", "SOA"),
                        org.assertj.core.groups.Tuple.tuple("datastore.sarathy.io.", "CNAME"));
                assertThat(zone.recordSets().get(2)).isEqualTo(new RecordSet("datastore.sarathy.io.", "CNAME", 300,
                        List.of(generated + ".")));
            });
        }
        assertThat(zonesOf(vpcC)).isEmpty();

        route53.disassociateVPCFromHostedZone(r -> r.hostedZoneId(zoneId).vpc(v -> v.vpcRegion("us-west-2")
                .vpcId(vpcA)));
        assertThat(zonesOf(vpcA)).isEmpty();
        assertThat(zonesOf(vpcB)).hasSize(1);
    }

    @Test
    void aWildcardRecordIsServedWithALiteralAsterisk() {
        String zoneId = route53.createHostedZone(r -> r.name("Internal.Example").callerReference("wildcard")
                .vpc(v -> v.vpcRegion("us-west-2").vpcId(vpcC))).hostedZone().id();
        route53.changeResourceRecordSets(r -> r.hostedZoneId(zoneId).changeBatch(b -> b.changes(c -> c
                .action(ChangeAction.UPSERT).resourceRecordSet(s -> s.name("*.Internal.Example.").type(RRType.A)
                        .ttl(60L).resourceRecords(v -> v.value("169.254.171.1"))))));

        PrivateHostedZone zone = zonesOf(vpcC).get(0);

        assertThat(zone.name()).isEqualTo("internal.example.");
        assertThat(zone.recordSets()).contains(new RecordSet("*.internal.example.", "A", 60, List.of("169.254.171.1")));
    }
}
