package dev.trellis.controlplane.ec2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A VPC as Trellis keeps it: always {@code available}, one IPv4 CIDR block (associated), default tenancy and DHCP
 * options, never the default VPC. Tags keep the order they were first set in.
 *
 * @param tags key to value, in insertion order
 */
record Vpc(String vpcId, String ownerId, String cidrBlock, String cidrAssociationId, String createdAt,
           Map<String, String> tags) {

    static final String STATE = "available";
    static final String CIDR_STATE = "associated";
    static final String DHCP_OPTIONS_ID = "default";
    static final String INSTANCE_TENANCY = "default";
    static final boolean IS_DEFAULT = false;

    Vpc {
        tags = Collections.unmodifiableMap(new LinkedHashMap<>(tags));
    }

    Vpc withTags(Map<String, String> newTags) {
        return new Vpc(vpcId, ownerId, cidrBlock, cidrAssociationId, createdAt, newTags);
    }

    /** The stored document: EC2's member names, plus {@code _createdAt} (EC2 does not return it). */
    ObjectNode toDocument() {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("vpcId", vpcId);
        doc.put("ownerId", ownerId);
        doc.put("state", STATE);
        doc.put("cidrBlock", cidrBlock);
        ObjectNode association = doc.putArray("cidrBlockAssociationSet").addObject();
        association.put("associationId", cidrAssociationId);
        association.put("cidrBlock", cidrBlock);
        association.putObject("cidrBlockState").put("state", CIDR_STATE);
        doc.put("dhcpOptionsId", DHCP_OPTIONS_ID);
        doc.put("instanceTenancy", INSTANCE_TENANCY);
        doc.put("isDefault", IS_DEFAULT);
        var tagSet = doc.putArray("tagSet");
        tags.forEach((key, value) -> tagSet.addObject().put("key", key).put("value", value));
        doc.put("_createdAt", createdAt);
        return doc;
    }

    static Vpc fromDocument(JsonNode doc) {
        Map<String, String> tags = new LinkedHashMap<>();
        doc.path("tagSet").forEach(t -> tags.put(t.path("key").asText(), t.path("value").asText()));
        return new Vpc(doc.path("vpcId").asText(), doc.path("ownerId").asText(), doc.path("cidrBlock").asText(),
                doc.path("cidrBlockAssociationSet").path(0).path("associationId").asText(),
                doc.path("_createdAt").asText(null), tags);
    }

    /** The members of EC2's {@code Vpc} structure, inside an element the caller opened. */
    void writeMembers(XmlWriter out) {
        out.element("vpcId", vpcId)
                .element("ownerId", ownerId)
                .element("state", STATE)
                .element("cidrBlock", cidrBlock)
                .start("cidrBlockAssociationSet")
                .start("item")
                .element("cidrBlock", cidrBlock)
                .element("associationId", cidrAssociationId)
                .start("cidrBlockState").element("state", CIDR_STATE).end()
                .end()
                .end()
                .element("dhcpOptionsId", DHCP_OPTIONS_ID);
        if (!tags.isEmpty()) {
            out.start("tagSet");
            tags.forEach((key, value) -> out.start("item").element("key", key).element("value", value).end());
            out.end();
        }
        out.element("instanceTenancy", INSTANCE_TENANCY)
                .element("isDefault", IS_DEFAULT);
    }
}
