package dev.trellis.controlplane.route53;

import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Reads private hosted zones for those who serve them: the snapshot compiler asks, for each VPC, which zones its
 * gateways' DNS answers and with which record sets.
 */
public final class HostedZones {

    /** The store kind of hosted zones (id = the zone id, parent = the owning account). */
    public static final String KIND = "route53-hostedzone";

    private HostedZones() {
    }

    /**
     * The private hosted zones associated with {@code vpcId} (from any account), ordered by name then id, each with
     * all its record sets. Empty for a VPC no zone is associated with.
     */
    public static List<PrivateHostedZone> forVpc(StoreTransaction tx, String vpcId) {
        List<PrivateHostedZone> zones = new ArrayList<>();
        for (StoredResource association : HostedZoneVpcs.associationsOf(tx, vpcId)) {
            String zoneId = association.document().path("HostedZoneId").asText();
            Optional<StoredResource> zone = tx.get(KIND, zoneId);
            zone.map(StoredZone::of).map(HostedZones::view).ifPresent(zones::add);
        }
        zones.sort(Comparator.comparing(PrivateHostedZone::name).thenComparing(PrivateHostedZone::id));
        return List.copyOf(zones);
    }

    private static PrivateHostedZone view(StoredZone zone) {
        List<RecordSet> recordSets = new ArrayList<>();
        for (ZoneRecord record : zone.records()) {
            List<String> values = record.values();
            if (record.type().equals("CNAME") || record.type().equals("NS")) {
                values = values.stream().map(HostedZones::fullyQualified).toList();
            }
            recordSets.add(new RecordSet(record.name().text(), record.type(), record.ttl(), values));
        }
        return new PrivateHostedZone(zone.id(), zone.name().text(),
                zone.vpcs().stream().map(StoredZone.Vpc::id).toList(), recordSets);
    }

    /** A validated target name in the stored form (Route 53 reads targets as fully qualified, dot or not). */
    private static String fullyQualified(String target) {
        try {
            return DnsName.parse(target).text();
        } catch (DnsName.InvalidNameException e) {
            // Values are validated when written; an unreadable one is passed on as it is rather than dropped.
            return target;
        }
    }
}
