package dev.trellis.controlplane.snapshot;

import dev.trellis.controlplane.route53.HostedZones;
import dev.trellis.controlplane.route53.PrivateHostedZone;
import dev.trellis.controlplane.route53.RecordSet;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.model.snapshot.DnsZone;
import java.util.List;

/**
 * The DNS part of a VPC's snapshot: the Route 53 private hosted zones associated with the VPC, with every record set,
 * for the gateways' DNS servers. Read in the same transaction as the rest of the snapshot, so a change batch or an
 * association change (each one store write, one revision) shows in the next compile of exactly the VPCs concerned:
 * {@link SnapshotService} compares content, so the long-polls of those VPCs wake and the others keep waiting.
 */
final class SnapshotDnsZones {

    private SnapshotDnsZones() {
    }

    /** The zones of {@code vpcId}, ordered by name then id (as {@link HostedZones#forVpc} gives them). */
    static List<DnsZone> forVpc(StoreTransaction tx, String vpcId) {
        return HostedZones.forVpc(tx, vpcId).stream().map(SnapshotDnsZones::zone).toList();
    }

    private static DnsZone zone(PrivateHostedZone zone) {
        return new DnsZone(zone.id(), zone.name(), zone.recordSets().stream().map(SnapshotDnsZones::record).toList());
    }

    private static DnsZone.Record record(RecordSet set) {
        return new DnsZone.Record(set.name(), set.type(), set.ttl(), set.values());
    }
}
