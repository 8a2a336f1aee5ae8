package dev.trellis.gateway.dns;

import dev.trellis.model.snapshot.DnsZone;
import dev.trellis.model.snapshot.ServiceEntry;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The zones one VPC's DNS answers with authority, compiled once per snapshot: the private hosted zones associated
 * with the VPC ({@link VpcSnapshot#dnsZones()}) and the zone of generated service names. Immutable, so the server
 * reads it without locks while the next snapshot's table is being built.
 *
 * <p>Generated names: the zone {@code vpc-lattice-svcs.<region>.on.aws.} (and, when the control plane uses another
 * suffix, each service name's parent) answers A with the gateway's address for every service reachable from the
 * VPC, AAAA with its IPv6 address when one is configured, and NXDOMAIN for any other name under it — the services
 * this VPC does not reach (ARCHITECTURE.md, "A request, end to end", step 1). Its SOA is synthesized, serial = the
 * snapshot revision.
 */
final class DnsTable {

    private static final Logger log = LoggerFactory.getLogger(DnsTable.class);

    /** The SOA timers of the generated-name zone (refresh, retry, expire): informative only, nobody transfers it. */
    private static final long SOA_REFRESH = 7200;
    private static final long SOA_RETRY = 900;
    private static final long SOA_EXPIRE = 1209600;

    private final Map<Name, DnsZoneView> zones;
    private final int maxLabels;
    private final long revision;
    /** What the next compile reuses: each private zone's view by its snapshot entry object (identity). */
    private final Map<DnsZone, DnsZoneView> privateViews;
    /** ... and the generated-name zones, with the region and the service names (in order) they were built from. */
    private final String generatedRegion;
    private final List<String> generatedNames;
    private final List<DnsZoneView> generatedZones;

    private DnsTable(Map<Name, DnsZoneView> zones, long revision, Map<DnsZone, DnsZoneView> privateViews,
                     String generatedRegion, List<String> generatedNames, List<DnsZoneView> generatedZones) {
        this.zones = Map.copyOf(zones);
        this.maxLabels = zones.keySet().stream().mapToInt(Name::labels).max().orElse(0);
        this.revision = revision;
        this.privateViews = privateViews;
        this.generatedRegion = generatedRegion;
        this.generatedNames = generatedNames;
        this.generatedZones = generatedZones;
    }

    /** A table with no zones: every query is forwarded (or refused). */
    static DnsTable empty() {
        return new DnsTable(Map.of(), 0, Map.of(), null, List.of(), List.of());
    }

    static DnsTable compile(VpcSnapshot snapshot, DnsServerConfig config) {
        return compile(snapshot, config, null);
    }

    /**
     * Compiles the zones of {@code snapshot}. Records that do not parse are left out and logged (the control plane
     * validated them; a gateway does not refuse a whole snapshot for one record).
     *
     * <p>Reuses what {@code previous} (compiled with the same {@code config}, or null) built: the view of a private
     * zone whose entry is the very same object (a {@code SnapshotDecoder} hands unchanged entries over that way),
     * and the generated-name zones when the services' names are the same — only their SOA (serial = revision) is
     * new. A swap that changes no name and no zone thus parses no name and builds no record.
     */
    static DnsTable compile(VpcSnapshot snapshot, DnsServerConfig config, DnsTable previous) {
        Map<Name, DnsZoneView> zones = new HashMap<>();
        Map<DnsZone, DnsZoneView> privateViews = new IdentityHashMap<>();
        for (DnsZone zone : snapshot.dnsZones()) {
            try {
                DnsZoneView view = previous == null ? null : previous.privateViews.get(zone);
                if (view == null) {
                    view = privateZone(zone);
                }
                privateViews.put(zone, view);
                if (zones.putIfAbsent(view.origin(), view) != null) {
                    log.warn("{}: private hosted zone {} ({}) has the name of another zone of the VPC; ignored",
                            snapshot.vpcId(), zone.name(), zone.id());
                }
            } catch (TextParseException e) {
                log.warn("{}: private hosted zone {} ({}) has an invalid name; ignored: {}", snapshot.vpcId(),
                        zone.name(), zone.id(), e.getMessage());
            }
        }
        // Generated names go last and win over a private zone of the same name: they must always resolve.
        List<String> names = new ArrayList<>(snapshot.services().size());
        for (ServiceEntry service : snapshot.services()) {
            names.add(service.domainName());
        }
        List<DnsZoneView> generated;
        if (previous != null && snapshot.region().equals(previous.generatedRegion)
                && names.equals(previous.generatedNames)) {
            generated = new ArrayList<>();
            for (DnsZoneView zone : previous.generatedZones) {
                generated.add(zone.withSoa(syntheticSoa(zone.origin(), snapshot.revision(),
                        config.generatedNameTtl())));
            }
        } else {
            generated = generatedNameZones(snapshot, config);
        }
        generated.forEach(zone -> {
            if (zones.put(zone.origin(), zone) != null) {
                log.warn("{}: a private hosted zone named {} is shadowed by the generated service names",
                        snapshot.vpcId(), zone.origin());
            }
        });
        return new DnsTable(zones, snapshot.revision(), Collections.unmodifiableMap(privateViews),
                snapshot.region(), List.copyOf(names), List.copyOf(generated));
    }

    long revision() {
        return revision;
    }

    /** The most specific zone containing {@code name} (canonical), or null when none does. */
    DnsZoneView zoneFor(Name name) {
        int labels = name.labels();
        for (int strip = Math.max(0, labels - maxLabels); strip < labels; strip++) {
            DnsZoneView zone = zones.get(strip == 0 ? name : new Name(name, strip));
            if (zone != null) {
                return zone;
            }
        }
        return null;
    }

    private static DnsZoneView privateZone(DnsZone zone) throws TextParseException {
        Name origin = Name.fromString(zone.name(), Name.root).canonicalize();
        List<Record> records = new ArrayList<>();
        SOARecord soa = null;
        for (DnsZone.Record set : zone.records()) {
            Name owner;
            try {
                owner = Name.fromString(set.name(), Name.root).canonicalize();
            } catch (TextParseException e) {
                log.warn("zone {}: record set {} {} has an invalid name; left out: {}", zone.name(), set.name(),
                        set.type(), e.getMessage());
                continue;
            }
            int type = Type.value(set.type());
            if (type < 0 || !owner.subdomain(origin)) {
                log.warn("zone {}: record set {} {} is outside the zone or of an unknown type; left out", zone.name(),
                        set.name(), set.type());
                continue;
            }
            for (String value : set.values()) {
                try {
                    Record record = Record.fromString(owner, type, DClass.IN, set.ttl(), value, Name.root);
                    records.add(record);
                    if (record instanceof SOARecord s && owner.equals(origin)) {
                        soa = s;
                    }
                } catch (IOException | RuntimeException e) {
                    log.warn("zone {}: value '{}' of {} {} does not parse; left out: {}", zone.name(), value,
                            set.name(), set.type(), e.getMessage());
                }
            }
        }
        if (soa == null) {
            // Route 53 always keeps one; a snapshot without it still gets negative answers with an SOA.
            soa = syntheticSoa(origin, 0, 900);
            records.add(soa);
        }
        return new DnsZoneView(origin, soa, records);
    }

    private static List<DnsZoneView> generatedNameZones(VpcSnapshot snapshot, DnsServerConfig config) {
        Set<Name> origins = new LinkedHashSet<>();
        Name regional = Name.fromConstantString("vpc-lattice-svcs." + snapshot.region().toLowerCase() + ".on.aws.");
        origins.add(regional);
        Map<Name, Name> serviceNames = new HashMap<>();
        for (ServiceEntry service : snapshot.services()) {
            try {
                Name name = Name.fromString(service.domainName(), Name.root).canonicalize();
                if (name.labels() < 3) {
                    continue; // a top-level name: no parent zone to own
                }
                Name parent = new Name(name, 1);
                serviceNames.put(name, parent);
                if (!parent.subdomain(regional)) {
                    origins.add(parent);
                }
            } catch (TextParseException e) {
                log.warn("{}: service {} has an invalid domain name {}; not answered", snapshot.vpcId(), service.id(),
                        service.domainName());
            }
        }
        // Keep only the outermost origins: a suffix inside another origin is answered by that origin's zone.
        List<Name> outermost = origins.stream()
                .filter(o -> origins.stream().noneMatch(other -> !other.equals(o) && o.subdomain(other)))
                .toList();
        List<DnsZoneView> zones = new ArrayList<>();
        for (Name origin : outermost) {
            long ttl = config.generatedNameTtl();
            SOARecord soa = syntheticSoa(origin, snapshot.revision(), ttl);
            List<Record> records = new ArrayList<>();
            records.add(soa);
            serviceNames.keySet().stream().filter(n -> n.subdomain(origin)).forEach(name -> {
                records.add(new ARecord(name, DClass.IN, ttl, config.serviceAddress()));
                if (config.serviceAddressV6() != null) {
                    records.add(new AAAARecord(name, DClass.IN, ttl, config.serviceAddressV6()));
                }
            });
            zones.add(new DnsZoneView(origin, soa, records));
        }
        return zones;
    }

    private static SOARecord syntheticSoa(Name origin, long serial, long ttl) {
        Name host = concat("ns", origin);
        Name admin = concat("hostmaster", origin);
        return new SOARecord(origin, DClass.IN, ttl, host, admin, serial & 0xFFFFFFFFL, SOA_REFRESH, SOA_RETRY,
                SOA_EXPIRE, ttl);
    }

    private static Name concat(String label, Name origin) {
        try {
            return Name.concatenate(Name.fromConstantString(label), origin);
        } catch (org.xbill.DNS.NameTooLongException e) {
            return origin;
        }
    }

    @Override
    public String toString() {
        return "DnsTable[@" + revision + ", " + zones.values() + "]";
    }
}
