package dev.trellis.controlplane.route53;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A ChangeResourceRecordSets batch: read from the validated input (a request it cannot take is {@code InvalidInput}
 * at the first such change, as Route 53 answers malformed requests), then applied in order to a working copy of
 * the zone's record sets. Every problem of every change is collected; if there is any the batch is refused whole
 * with {@code InvalidChangeBatch} listing them, and nothing is written (Route 53 batches are atomic).
 */
final class ChangeBatch {

    /** Record types Trellis serves; SOA and NS only as the zone's own apex records. */
    static final Set<String> SUPPORTED_TYPES = Set.of("A", "AAAA", "CNAME", "TXT", "SOA", "NS");

    private static final List<String> UNSUPPORTED_MEMBERS = List.of("AliasTarget", "SetIdentifier", "Weight",
            "Region", "GeoLocation", "Failover", "MultiValueAnswer", "HealthCheckId", "TrafficPolicyInstanceId",
            "CidrRoutingConfig", "GeoProximityLocation");

    /** Route 53's default quota of record sets per hosted zone. */
    static final int MAX_RECORD_SETS = 10_000;

    enum Action { CREATE, DELETE, UPSERT }

    /** One change as given: the name as the caller wrote it is kept for messages that quote it. */
    record Change(Action action, String givenName, DnsName name, String nameProblem, ZoneRecord record) {
    }

    private final List<Change> changes;
    private final String comment;

    private ChangeBatch(List<Change> changes, String comment) {
        this.changes = changes;
        this.comment = comment;
    }

    String comment() {
        return comment;
    }

    /**
     * Reads the {@code ChangeBatch} member of a validated ChangeResourceRecordSets input.
     *
     * @throws dev.trellis.controlplane.protocol.ApiException {@code InvalidInput} for alias records, routing
     *         policies, health checks, record types Trellis does not serve, or a record set without TTL and values
     */
    static ChangeBatch read(JsonNode batch) {
        List<Change> changes = new ArrayList<>();
        for (JsonNode change : batch.path("Changes")) {
            Action action = Action.valueOf(change.path("Action").asText());
            JsonNode set = change.path("ResourceRecordSet");
            String givenName = set.path("Name").asText();
            String type = set.path("Type").asText();
            String described = "Change with [Action=" + action + ", Name=" + givenName + ", Type=" + type
                    + ", SetIdentifier=" + set.path("SetIdentifier").asText(null) + "]";
            for (String member : UNSUPPORTED_MEMBERS) {
                if (set.hasNonNull(member)) {
                    throw Route53Errors.invalidInput("Trellis does not support " + member + " (alias records,"
                            + " routing policies, health checks and traffic policies are not served); use a simple"
                            + " record set with TTL and ResourceRecords: " + described);
                }
            }
            if (!SUPPORTED_TYPES.contains(type)) {
                throw Route53Errors.invalidInput("Trellis serves record sets of type A, AAAA, CNAME and TXT (and the"
                        + " zone's own SOA and NS), not " + type + ": " + described);
            }
            if (!set.hasNonNull("TTL") || !set.hasNonNull("ResourceRecords")) {
                throw Route53Errors.invalidInput("Invalid request: Expected exactly one of [AliasTarget, all of [TTL,"
                        + " and ResourceRecords], or TrafficPolicyInstanceId], but found none in " + described);
            }
            List<String> values = new ArrayList<>();
            set.path("ResourceRecords").forEach(r -> values.add(r.path("Value").asText()));
            DnsName name = null;
            String nameProblem = null;
            try {
                name = DnsName.parse(givenName);
            } catch (DnsName.InvalidNameException e) {
                nameProblem = "RRSet with DNS name " + givenName + " is not a valid DNS name: " + e.getMessage();
            }
            ZoneRecord record = name == null ? null : new ZoneRecord(name, type, set.path("TTL").asLong(), values);
            changes.add(new Change(action, givenName, name, nameProblem, record));
        }
        return new ChangeBatch(List.copyOf(changes), batch.hasNonNull("Comment")
                ? batch.get("Comment").asText() : null);
    }

    /**
     * Applies the batch to {@code zone}'s record sets.
     *
     * @return the zone's record sets after the batch
     * @throws dev.trellis.controlplane.protocol.ApiException {@code InvalidChangeBatch} with every problem found
     */
    List<ZoneRecord> applyTo(StoredZone zone) {
        Map<ZoneRecord.Key, ZoneRecord> working = new LinkedHashMap<>();
        for (ZoneRecord record : zone.records()) {
            working.put(record.key(), record);
        }
        List<String> problems = new ArrayList<>();
        for (Change change : changes) {
            if (change.nameProblem() != null) {
                problems.add(change.nameProblem());
                continue;
            }
            List<String> found = check(change, zone, working);
            if (!found.isEmpty()) {
                problems.addAll(found);
                continue;
            }
            ZoneRecord record = change.record();
            if (change.action() == Action.DELETE) {
                working.remove(record.key());
            } else {
                working.put(record.key(), record);
            }
        }
        if (problems.isEmpty() && working.size() > MAX_RECORD_SETS) {
            problems.add("The hosted zone " + zone.id() + " would have " + working.size()
                    + " record sets, more than the limit of " + MAX_RECORD_SETS);
        }
        if (!problems.isEmpty()) {
            throw Route53Errors.invalidChangeBatch(problems);
        }
        List<ZoneRecord> result = new ArrayList<>(working.values());
        result.sort(ZoneRecord.ORDER);
        return result;
    }

    /** The problems of one change against the working copy as the earlier changes left it. */
    private static List<String> check(Change change, StoredZone zone, Map<ZoneRecord.Key, ZoneRecord> working) {
        ZoneRecord record = change.record();
        DnsName name = record.name();
        String type = record.type();
        String zoneName = zone.name().apiText();
        String described = "[name='" + name.apiText() + "', type='" + type + "']";
        List<String> problems = new ArrayList<>();
        if (!name.isSameOrBelow(zone.name())) {
            problems.add("RRSet with DNS name " + name.apiText() + " is not permitted in zone " + zoneName);
            return problems;
        }
        boolean apex = zone.isApex(name);
        if (type.equals("SOA") || type.equals("NS")) {
            if (!apex) {
                problems.add("RRSet of type " + type + " with DNS name " + name.apiText() + " is not permitted in"
                        + " zone " + zoneName + ": Trellis serves " + type + " records only at the apex of a"
                        + " private hosted zone");
                return problems;
            }
            if (change.action() == Action.DELETE) {
                problems.add(type.equals("SOA") ? "A HostedZone must contain exactly one SOA record."
                        : "A HostedZone must contain at least one NS record for the zone itself.");
                return problems;
            }
        }
        if (type.equals("CNAME") && apex) {
            problems.add("RRSet of type CNAME with DNS name " + name.apiText() + " is not permitted at apex in zone "
                    + zoneName);
            return problems;
        }
        if (change.action() != Action.DELETE) {
            problems.addAll(RecordValues.problems(type, name, record.values()));
            if (!problems.isEmpty()) {
                return problems;
            }
        }
        ZoneRecord existing = working.get(record.key());
        switch (change.action()) {
            case CREATE -> {
                if (existing != null) {
                    problems.add("Tried to create resource record set " + described + " but it already exists");
                    return problems;
                }
            }
            case DELETE -> {
                if (existing == null) {
                    problems.add("Tried to delete resource record set " + described + " but it was not found");
                } else if (!sameData(existing, record)) {
                    problems.add("Tried to delete resource record set " + described
                            + " but the values provided do not match the current values");
                }
                return problems;
            }
            case UPSERT -> {
                // creates or replaces; the CNAME rules below still apply
            }
            default -> throw new IllegalStateException("unhandled action " + change.action());
        }
        boolean otherTypesAtName = working.keySet().stream()
                .anyMatch(k -> k.name().equals(name) && !k.type().equals(type));
        if (type.equals("CNAME") && otherTypesAtName) {
            problems.add("RRSet of type CNAME with DNS name " + name.apiText() + " is not permitted as it conflicts"
                    + " with other records with the same DNS name in zone " + zoneName);
        } else if (!type.equals("CNAME") && working.containsKey(new ZoneRecord.Key(name, "CNAME"))) {
            problems.add("RRSet of type " + type + " with DNS name " + name.apiText() + " is not permitted because"
                    + " a conflicting RRSet of type CNAME with the same DNS name already exists in zone " + zoneName);
        }
        return problems;
    }

    /** Whether a DELETE names the record set as it is: same TTL and the same values in any order. */
    private static boolean sameData(ZoneRecord current, ZoneRecord given) {
        if (current.ttl() != given.ttl() || current.values().size() != given.values().size()) {
            return false;
        }
        boolean targets = current.type().equals("CNAME") || current.type().equals("NS");
        List<String> a = new ArrayList<>(current.values().stream()
                .map(v -> targets ? RecordValues.normalizedTarget(v) : v).toList());
        List<String> b = new ArrayList<>(given.values().stream()
                .map(v -> targets ? RecordValues.normalizedTarget(v) : v).toList());
        a.sort(null);
        b.sort(null);
        return a.equals(b);
    }
}
