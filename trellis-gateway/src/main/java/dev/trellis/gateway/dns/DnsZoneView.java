package dev.trellis.gateway.dns;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * One zone the gateway answers with authority: a Route 53 private hosted zone of the VPC, or the zone of generated
 * service names. Immutable once built; names are canonical (lower case).
 *
 * <p>{@link #lookup} implements the authoritative part of RFC 1034 §4.3.2 as Route 53 does for private zones: exact
 * match, empty non-terminals (a name with descendants but no records exists: NODATA, not NXDOMAIN), and wildcards
 * ({@code *.zone.}) per RFC 4592 — a wildcard at the closest encloser answers for names that do not exist.
 */
final class DnsZoneView {

    /** What {@link #lookup} found at a name. */
    sealed interface Lookup {
        /** The name has records (maybe none of the type asked): by type, owner names set to the name asked. */
        record Node(Map<Integer, List<Record>> rrsets) implements Lookup {
        }

        /** The name does not exist in the zone. */
        record NoSuchName() implements Lookup {
        }
    }

    private static final Lookup NO_SUCH_NAME = new Lookup.NoSuchName();
    private static final Lookup EMPTY_NODE = new Lookup.Node(Map.of());
    private static final Name WILDCARD_LABEL = Name.fromConstantString("*");

    private final Name origin;
    private final SOARecord soa;
    private final Map<Name, Map<Integer, List<Record>>> nodes;
    /** Every name with records and every ancestor of one up to the origin (the empty non-terminals). */
    private final Set<Name> existing;

    /**
     * @param origin  the zone apex, canonical
     * @param soa     the zone's SOA (its minimum bounds negative answers' TTL)
     * @param records every record of the zone, owner names canonical and inside the zone
     */
    DnsZoneView(Name origin, SOARecord soa, List<Record> records) {
        this.origin = origin;
        this.soa = soa;
        Map<Name, Map<Integer, List<Record>>> byName = new HashMap<>();
        Set<Name> names = new HashSet<>();
        names.add(origin);
        for (Record record : records) {
            byName.computeIfAbsent(record.getName(), n -> new HashMap<>())
                    .computeIfAbsent(record.getType(), t -> new ArrayList<>()).add(record);
            for (Name n = record.getName(); n.labels() > origin.labels(); n = new Name(n, 1)) {
                names.add(n);
            }
        }
        Map<Name, Map<Integer, List<Record>>> frozen = new HashMap<>();
        byName.forEach((name, types) -> {
            Map<Integer, List<Record>> frozenTypes = new HashMap<>();
            types.forEach((type, list) -> frozenTypes.put(type, List.copyOf(list)));
            frozen.put(name, Map.copyOf(frozenTypes));
        });
        this.nodes = Map.copyOf(frozen);
        this.existing = Set.copyOf(names);
    }

    private DnsZoneView(Name origin, SOARecord soa, Map<Name, Map<Integer, List<Record>>> nodes,
                        Set<Name> existing) {
        this.origin = origin;
        this.soa = soa;
        this.nodes = nodes;
        this.existing = existing;
    }

    /**
     * This zone with {@code newSoa} at its apex instead of its SOA, every other record shared: the generated-name
     * zone's serial follows the snapshot revision, and its thousands of names need not be rebuilt for that.
     */
    DnsZoneView withSoa(SOARecord newSoa) {
        Map<Name, Map<Integer, List<Record>>> copy = new HashMap<>(nodes);
        Map<Integer, List<Record>> apex = new HashMap<>(nodes.getOrDefault(origin, Map.of()));
        apex.put(Type.SOA, List.of(newSoa));
        copy.put(origin, Map.copyOf(apex));
        return new DnsZoneView(origin, newSoa, Map.copyOf(copy), existing);
    }

    Name origin() {
        return origin;
    }

    /**
     * The SOA for the authority section of a negative answer: its TTL is the lower of the SOA's TTL and its
     * minimum field (RFC 2308 §3), which is how long a resolver may cache the "no".
     */
    SOARecord negativeSoa() {
        long ttl = Math.min(soa.getTTL(), soa.getMinimum());
        return new SOARecord(soa.getName(), DClass.IN, ttl, soa.getHost(), soa.getAdmin(), soa.getSerial(),
                soa.getRefresh(), soa.getRetry(), soa.getExpire(), soa.getMinimum());
    }

    /** The records at {@code name} (canonical, inside this zone), wildcards applied. */
    Lookup lookup(Name name) {
        Map<Integer, List<Record>> node = nodes.get(name);
        if (node != null) {
            return new Lookup.Node(node);
        }
        if (existing.contains(name)) {
            return EMPTY_NODE;
        }
        // The closest encloser: the nearest existing ancestor (the origin at worst). Only its wildcard applies.
        Name closest = new Name(name, 1);
        while (!existing.contains(closest)) {
            closest = new Name(closest, 1);
        }
        Map<Integer, List<Record>> wildcard = nodes.get(wildcardOf(closest));
        if (wildcard == null) {
            return NO_SUCH_NAME;
        }
        Map<Integer, List<Record>> synthesized = new HashMap<>();
        wildcard.forEach((type, records) -> synthesized.put(type,
                records.stream().map(r -> r.withName(name)).toList()));
        return new Lookup.Node(synthesized);
    }

    private static Name wildcardOf(Name name) {
        try {
            return Name.concatenate(WILDCARD_LABEL, name);
        } catch (org.xbill.DNS.NameTooLongException e) {
            return WILDCARD_LABEL; // cannot exist in the zone: no wildcard
        }
    }

    @Override
    public String toString() {
        return "zone " + origin + " (" + nodes.size() + " names)";
    }
}
