package dev.trellis.controlplane.acm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.store.StoredResource;
import java.util.Locale;
import java.util.Map;

/**
 * AddTagsToCertificate, RemoveTagsFromCertificate and ListTagsForCertificate. Tags are kept in the certificate's
 * document as a list of {@code {Key, Value}} (Value may be absent, as ACM allows); a certificate has at most
 * {@value #MAX_TAGS} tags; keys starting with {@code aws:} are reserved for AWS.
 */
final class CertificateTagOperations {

    static final int MAX_TAGS = 50;

    void register(Map<String, AcmOperation> ops) {
        ops.put("AddTagsToCertificate", this::add);
        ops.put("RemoveTagsFromCertificate", this::remove);
        ops.put("ListTagsForCertificate", this::list);
    }

    private ObjectNode add(AcmContext ctx, ObjectNode input) {
        String arn = input.get("CertificateArn").asText();
        CertificateRecords.requireCertificateArn(ctx.config(), arn);
        ctx.authorize("AddTagsToCertificate", arn);
        validate(input.get("Tags"));
        ctx.store().write(tx -> {
            StoredResource certificate = CertificateRecords.require(tx, ctx.config(), ctx.accountId(), arn);
            ObjectNode document = certificate.document().deepCopy();
            apply(document, input.get("Tags"));
            return tx.update(certificate.withDocument(document));
        });
        return JsonNodeFactory.instance.objectNode();
    }

    private ObjectNode remove(AcmContext ctx, ObjectNode input) {
        String arn = input.get("CertificateArn").asText();
        CertificateRecords.requireCertificateArn(ctx.config(), arn);
        ctx.authorize("RemoveTagsFromCertificate", arn);
        validate(input.get("Tags"));
        ctx.store().write(tx -> {
            StoredResource certificate = CertificateRecords.require(tx, ctx.config(), ctx.accountId(), arn);
            ObjectNode document = certificate.document().deepCopy();
            ArrayNode kept = JsonNodeFactory.instance.arrayNode();
            for (JsonNode tag : document.path(CertificateRecords.TAGS)) {
                if (!removedBy(tag, input.get("Tags"))) {
                    kept.add(tag);
                }
            }
            document.set(CertificateRecords.TAGS, kept);
            return tx.update(certificate.withDocument(document));
        });
        return JsonNodeFactory.instance.objectNode();
    }

    /** A tag named without a value is removed whatever its value; with a value, only when the value is equal. */
    private static boolean removedBy(JsonNode tag, JsonNode removals) {
        for (JsonNode removal : removals) {
            if (removal.get("Key").asText().equals(tag.get("Key").asText())
                    && (!removal.hasNonNull("Value")
                        || removal.get("Value").asText().equals(tag.path("Value").asText()))) {
                return true;
            }
        }
        return false;
    }

    private ObjectNode list(AcmContext ctx, ObjectNode input) {
        String arn = input.get("CertificateArn").asText();
        CertificateRecords.requireCertificateArn(ctx.config(), arn);
        ctx.authorize("ListTagsForCertificate", arn);
        StoredResource certificate = ctx.store().read(tx ->
                CertificateRecords.require(tx, ctx.config(), ctx.accountId(), arn));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.set("Tags", certificate.document().path(CertificateRecords.TAGS).deepCopy());
        if (!out.get("Tags").isArray()) {
            out.putArray("Tags");
        }
        return out;
    }

    /** Refuses tag keys AWS reserves. Lengths and characters were checked against the model already. */
    static void validate(JsonNode tags) {
        if (tags == null || tags.isNull()) {
            return;
        }
        for (JsonNode tag : tags) {
            String key = tag.get("Key").asText();
            if (key.toLowerCase(Locale.ROOT).startsWith("aws:")) {
                throw AcmErrors.invalidTag("Tag key '" + key + "' is not valid: the prefix 'aws:' is reserved for"
                        + " AWS");
            }
        }
    }

    /** Adds {@code tags} to a certificate's document, a tag with an existing key replacing it. */
    static void apply(ObjectNode document, JsonNode tags) {
        if (tags == null || tags.isNull()) {
            return;
        }
        ArrayNode current = document.has(CertificateRecords.TAGS)
                ? (ArrayNode) document.get(CertificateRecords.TAGS)
                : document.putArray(CertificateRecords.TAGS);
        for (JsonNode tag : tags) {
            ObjectNode copy = JsonNodeFactory.instance.objectNode().put("Key", tag.get("Key").asText());
            if (tag.hasNonNull("Value")) {
                copy.put("Value", tag.get("Value").asText());
            }
            int existing = -1;
            for (int i = 0; i < current.size(); i++) {
                if (current.get(i).get("Key").asText().equals(copy.get("Key").asText())) {
                    existing = i;
                }
            }
            if (existing >= 0) {
                current.set(existing, copy);
            } else {
                current.add(copy);
            }
        }
        if (current.size() > MAX_TAGS) {
            throw AcmErrors.tooManyTags("A certificate can have at most " + MAX_TAGS + " tags; this would make "
                    + current.size());
        }
    }
}
