package dev.trellis.controlplane.route53;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** A record set inside Trellis: name, type, TTL and values as the API took them (validated). */
record ZoneRecord(DnsName name, String type, long ttl, List<String> values) {

    /** ListResourceRecordSets' order: name with the labels reversed, then type, both in ASCII order. */
    static final Comparator<ZoneRecord> ORDER = Comparator.comparing((ZoneRecord r) -> r.name().sortKey())
            .thenComparing(ZoneRecord::type);

    ZoneRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        values = List.copyOf(values);
    }

    /** The (name, type) pair that identifies a record set of a zone without routing policies. */
    Key key() {
        return new Key(name, type);
    }

    record Key(DnsName name, String type) {
    }
}
