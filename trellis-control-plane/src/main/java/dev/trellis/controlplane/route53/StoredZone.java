package dev.trellis.controlplane.route53;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoreException;
import dev.trellis.controlplane.store.StoredResource;
import java.util.ArrayList;
import java.util.List;

/**
 * A hosted zone as the store keeps it (package DESIGN.md): one {@code route53-hostedzone} resource whose document
 * holds the zone's settings, its VPCs and all its record sets, so a change batch is one document update.
 */
final class StoredZone {

    /** A VPC a zone is associated with. */
    record Vpc(String region, String id) {
    }

    private final StoredResource resource;
    private final DnsName name;
    private final List<Vpc> vpcs;
    private final List<ZoneRecord> records;

    private StoredZone(StoredResource resource, DnsName name, List<Vpc> vpcs, List<ZoneRecord> records) {
        this.resource = resource;
        this.name = name;
        this.vpcs = List.copyOf(vpcs);
        this.records = List.copyOf(records);
    }

    static StoredZone of(StoredResource resource) {
        ObjectNode doc = resource.document();
        try {
            DnsName name = DnsName.parse(doc.path("Name").asText());
            List<Vpc> vpcs = new ArrayList<>();
            for (JsonNode v : doc.path("VPCs")) {
                vpcs.add(new Vpc(v.path("VPCRegion").asText(), v.path("VPCId").asText()));
            }
            List<ZoneRecord> records = new ArrayList<>();
            for (JsonNode r : doc.path("RecordSets")) {
                List<String> values = new ArrayList<>();
                r.path("Values").forEach(v -> values.add(v.asText()));
                records.add(new ZoneRecord(DnsName.parse(r.path("Name").asText()), r.path("Type").asText(),
                        r.path("TTL").asLong(), values));
            }
            return new StoredZone(resource, name, vpcs, records);
        } catch (DnsName.InvalidNameException e) {
            throw new StoreException("corrupt hosted zone " + resource.id() + ": " + e.getMessage(), e);
        }
    }

    /** The document of a new zone. */
    static ObjectNode newDocument(String id, DnsName name, String callerReference, String comment, String createdAt,
                                  List<Vpc> vpcs, List<ZoneRecord> records) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("Id", id);
        doc.put("Name", name.apiText());
        doc.put("CallerReference", callerReference);
        if (comment != null) {
            doc.put("Comment", comment);
        }
        doc.put("CreatedAt", createdAt);
        writeVpcs(doc, vpcs);
        writeRecords(doc, records);
        return doc;
    }

    private static void writeVpcs(ObjectNode doc, List<Vpc> vpcs) {
        ArrayNode array = doc.putArray("VPCs");
        vpcs.forEach(v -> array.addObject().put("VPCRegion", v.region()).put("VPCId", v.id()));
    }

    private static void writeRecords(ObjectNode doc, List<ZoneRecord> records) {
        ArrayNode array = doc.putArray("RecordSets");
        records.stream().sorted(ZoneRecord.ORDER).forEach(r -> {
            ObjectNode node = array.addObject();
            node.put("Name", r.name().apiText());
            node.put("Type", r.type());
            node.put("TTL", r.ttl());
            ArrayNode values = node.putArray("Values");
            r.values().forEach(values::add);
        });
    }

    StoredResource resource() {
        return resource;
    }

    String id() {
        return resource.id();
    }

    DnsName name() {
        return name;
    }

    String callerReference() {
        return resource.document().path("CallerReference").asText();
    }

    String comment() {
        JsonNode comment = resource.document().get("Comment");
        return comment == null ? null : comment.asText();
    }

    List<Vpc> vpcs() {
        return vpcs;
    }

    /** The record sets in ListResourceRecordSets order. */
    List<ZoneRecord> records() {
        return records;
    }

    boolean isApex(DnsName recordName) {
        return recordName.equals(name);
    }

    /** This zone's resource with other VPCs. */
    StoredResource withVpcs(List<Vpc> newVpcs) {
        ObjectNode doc = resource.document().deepCopy();
        writeVpcs(doc, newVpcs);
        return resource.withDocument(doc);
    }

    /** This zone's resource with other record sets. */
    StoredResource withRecords(List<ZoneRecord> newRecords) {
        ObjectNode doc = resource.document().deepCopy();
        writeRecords(doc, newRecords);
        return resource.withDocument(doc);
    }
}
