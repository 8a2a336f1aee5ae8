package dev.trellis.controlplane.route53;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** ChangeResourceRecordSets and ListResourceRecordSets. */
final class RecordSetOperations {

    private static final int LIST_MAX = 300;

    private RecordSetOperations() {
    }

    static ObjectNode change(Route53Context ctx, ObjectNode input) {
        StoredZone zone = HostedZoneOperations.requireZone(ctx, "ChangeResourceRecordSets",
                input.get("HostedZoneId").asText());
        ChangeBatch batch = ChangeBatch.read(input.get("ChangeBatch"));
        List<ZoneRecord> records = batch.applyTo(zone);
        ctx.tx().update(zone.withRecords(records));
        ObjectNode output = JsonNodeFactory.instance.objectNode();
        output.set("ChangeInfo", Changes.record(ctx, batch.comment()));
        return output;
    }

    /**
     * Record sets in Route 53's order (name with labels reversed, then type), starting at the first whose name is
     * at or after {@code StartRecordName} (and, at that name, whose type is at or after {@code StartRecordType}).
     */
    static ObjectNode list(Route53Context ctx, ObjectNode input) {
        StoredZone zone = HostedZoneOperations.requireZone(ctx, "ListResourceRecordSets",
                input.get("HostedZoneId").asText());
        if (input.hasNonNull("StartRecordType") && !input.hasNonNull("StartRecordName")) {
            throw Route53Errors.invalidInput("StartRecordType (type) can only be given with StartRecordName (name)");
        }
        int maxItems = HostedZoneOperations.maxItems(input, LIST_MAX, LIST_MAX);
        String startKey = null;
        String startType = input.hasNonNull("StartRecordType") ? input.get("StartRecordType").asText() : "";
        if (input.hasNonNull("StartRecordName")) {
            try {
                startKey = DnsName.parse(input.get("StartRecordName").asText()).sortKey();
            } catch (DnsName.InvalidNameException e) {
                throw Route53Errors.invalidInput("StartRecordName (name) is not a valid DNS name: " + e.getMessage());
            }
        }
        ObjectNode output = JsonNodeFactory.instance.objectNode();
        ArrayNode items = output.putArray("ResourceRecordSets");
        ZoneRecord next = null;
        int added = 0;
        for (ZoneRecord record : zone.records()) {
            if (startKey != null) {
                int byName = record.name().sortKey().compareTo(startKey);
                if (byName < 0 || byName == 0 && record.type().compareTo(startType) < 0) {
                    continue;
                }
            }
            if (added == maxItems) {
                next = record;
                break;
            }
            items.add(recordSet(record));
            added++;
        }
        output.put("IsTruncated", next != null);
        if (next != null) {
            output.put("NextRecordName", next.name().apiText());
            output.put("NextRecordType", next.type());
        }
        output.put("MaxItems", String.valueOf(maxItems));
        return output;
    }

    private static ObjectNode recordSet(ZoneRecord record) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("Name", record.name().apiText());
        node.put("Type", record.type());
        node.put("TTL", record.ttl());
        ArrayNode values = node.putArray("ResourceRecords");
        record.values().forEach(v -> values.addObject().put("Value", v));
        return node;
    }
}
