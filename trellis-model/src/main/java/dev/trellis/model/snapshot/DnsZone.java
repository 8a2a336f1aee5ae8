package dev.trellis.model.snapshot;

import java.util.List;
import java.util.Objects;

/**
 * A Route 53 private hosted zone associated with the snapshot's VPC: the gateway's DNS server answers for it.
 *
 * @param name the zone's name, lower case, with the trailing dot ({@code sarathy.io.})
 * @param records every record set of the zone, SOA and NS included
 */
public record DnsZone(String id, String name, List<Record> records) {

    public DnsZone {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        records = records == null ? List.of() : List.copyOf(records);
    }

    /**
     * One record set.
     *
     * @param name the owner name, lower case, with the trailing dot
     * @param type {@code A}, {@code AAAA}, {@code CNAME}, {@code TXT}, {@code SOA}, {@code NS}, ...
     * @param values the record values in Route 53's text form
     */
    public record Record(String name, String type, long ttl, List<String> values) {
        public Record {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            values = values == null ? List.of() : List.copyOf(values);
        }
    }
}
