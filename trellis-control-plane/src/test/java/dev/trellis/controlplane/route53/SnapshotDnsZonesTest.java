package dev.trellis.controlplane.route53;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.controlplane.snapshot.CredentialSource;
import dev.trellis.controlplane.snapshot.SnapshotService;
import dev.trellis.controlplane.store.TestStores;
import dev.trellis.model.snapshot.DnsZone;
import dev.trellis.model.snapshot.SnapshotCodec;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

/**
 * The private hosted zones reach the snapshots of the VPCs they are associated with, and only those, with every
 * record set; a record change or a new association wakes the long-polls of exactly the VPCs concerned.
 */
@ParameterizedClass
@EnumSource(TestStores.Kind.class)
class SnapshotDnsZonesTest extends Route53ApiTestBase {

    private static final String GENERATED = "datastore-0891088e6cc27c501.7d67968.vpc-lattice-svcs.us-west-2.on.aws";

    private SnapshotService snapshots;
    private String vpcA;
    private String vpcB;
    private String zoneName;
    private String zoneId;

    @BeforeEach
    void zoneOfVpcA() {
        snapshots = new SnapshotService(controlPlane.store(), controlPlane.config(), Clock.systemUTC(),
                CredentialSource.NONE);
        vpcA = vpc();
        vpcB = vpc();
        zoneName = uniqueZoneName();
        zoneId = createZone(zoneName, vpcA);
        upsert("datastore." + zoneName, RRType.CNAME, 300, GENERATED);
    }

    @AfterEach
    void closeSnapshots() {
        snapshots.close();
    }

    @Test
    void aZoneAppearsInTheSnapshotOfItsVpcWithEveryRecordSetAndNotInAnothers() throws Exception {
        VpcSnapshot a = snapshots.current(vpcA);

        DnsZone zone = zoneIn(a);
        assertThat(zone.id()).isEqualTo(zoneId);
        assertThat(zone.records()).extracting(DnsZone.Record::type).containsExactlyInAnyOrder("SOA", "NS", "CNAME");
        DnsZone.Record cname = zone.records().stream().filter(r -> r.type().equals("CNAME")).findFirst()
                .orElseThrow();
        assertThat(cname.name()).isEqualTo("datastore." + zoneName + ".");
        assertThat(cname.ttl()).isEqualTo(300);
        assertThat(cname.values()).containsExactly(GENERATED + "."); // CNAME targets fully qualified
        assertThat(snapshots.current(vpcB).dnsZones()).noneMatch(z -> z.id().equals(zoneId));

        // The zones travel to the gateway as JSON: they survive the codec.
        assertThat(SnapshotCodec.decode(SnapshotCodec.encode(a)).dnsZones()).isEqualTo(a.dnsZones());
    }

    @Test
    void aRecordChangeWakesTheLongPollOfItsVpcOnly() throws Exception {
        long revisionA = snapshots.current(vpcA).revision();
        long revisionB = snapshots.current(vpcB).revision();
        CompletableFuture<Optional<VpcSnapshot>> pollA = poll(vpcA, revisionA, Duration.ofSeconds(10));
        CompletableFuture<Optional<VpcSnapshot>> pollB = poll(vpcB, revisionB, Duration.ofMillis(1500));
        Thread.sleep(200); // both waiting

        long start = System.nanoTime();
        upsert("www." + zoneName, RRType.A, 60, "10.0.0.7");

        VpcSnapshot changed = pollA.get(5, TimeUnit.SECONDS).orElseThrow();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(zoneIn(changed).records()).anySatisfy(r -> {
            assertThat(r.name()).isEqualTo("www." + zoneName + ".");
            assertThat(r.values()).containsExactly("10.0.0.7");
        });
        assertThat(pollB.get(5, TimeUnit.SECONDS)).as("VPC-B's snapshot did not change").isEmpty();
    }

    @Test
    void associatingTheZoneWithAnotherVpcPutsItInThatVpcsSnapshot() throws Exception {
        long revisionB = snapshots.current(vpcB).revision();
        CompletableFuture<Optional<VpcSnapshot>> pollB = poll(vpcB, revisionB, Duration.ofSeconds(10));
        Thread.sleep(200);

        route53.associateVPCWithHostedZone(r -> r.hostedZoneId(zoneId).vpc(v -> v.vpcRegion(REGION).vpcId(vpcB)));

        VpcSnapshot b = pollB.get(5, TimeUnit.SECONDS).orElseThrow();
        assertThat(zoneIn(b).records()).extracting(DnsZone.Record::type).contains("CNAME");

        route53.disassociateVPCFromHostedZone(r -> r.hostedZoneId(zoneId)
                .vpc(v -> v.vpcRegion(REGION).vpcId(vpcA)));
        assertThat(snapshots.current(vpcA).dnsZones()).noneMatch(z -> z.id().equals(zoneId));
    }

    private DnsZone zoneIn(VpcSnapshot snapshot) {
        List<DnsZone> zones = snapshot.dnsZones().stream().filter(z -> z.id().equals(zoneId)).toList();
        assertThat(zones).as("zone %s in the snapshot of %s", zoneId, snapshot.vpcId()).hasSize(1);
        DnsZone zone = zones.get(0);
        assertThat(zone.name()).isEqualTo(zoneName + ".");
        return zone;
    }

    private CompletableFuture<Optional<VpcSnapshot>> poll(String vpc, long after, Duration timeout) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return snapshots.newerThan(vpc, after, timeout);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private void upsert(String name, RRType type, long ttl, String value) {
        ResourceRecordSet set = ResourceRecordSet.builder().name(name).type(type).ttl(ttl)
                .resourceRecords(rr -> rr.value(value)).build();
        route53.changeResourceRecordSets(r -> r.hostedZoneId(zoneId).changeBatch(b -> b.changes(
                c -> c.action(ChangeAction.UPSERT).resourceRecordSet(set))));
    }
}
