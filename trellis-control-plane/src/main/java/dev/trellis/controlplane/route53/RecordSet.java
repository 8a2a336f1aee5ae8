package dev.trellis.controlplane.route53;

import java.util.List;
import java.util.Objects;

/**
 * One record set of a private hosted zone, as the DNS server of a VPC's gateway will answer it.
 *
 * @param name   fully qualified, lower case, with the trailing dot, in RFC 1035 presentation form ({@code \DDD}
 *               decimal escapes for {@code .}, {@code \} and non-printable octets); a wildcard is {@code *.zone.}
 * @param type   {@code A}, {@code AAAA}, {@code CNAME}, {@code TXT}, or the zone's {@code SOA} and {@code NS}
 * @param ttl    seconds
 * @param values the record data as Route 53 holds it: addresses for A/AAAA, quoted character strings for TXT, the
 *               SOA's seven fields; CNAME and NS targets are given fully qualified in the same form as {@code name}
 */
public record RecordSet(String name, String type, long ttl, List<String> values) {

    public RecordSet {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        values = List.copyOf(values);
    }

    @Override
    public String toString() {
        return name + " " + ttl + " " + type + " " + values;
    }
}
