package dev.trellis.controlplane.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One API resource as the store keeps it: its kind ({@code service}, {@code listener}, ...), id, ARN, owner account,
 * parent id (a listener's service, a rule's listener), name, creation sequence (stable listing order) and the JSON
 * document the API returns from it.
 */
public record StoredResource(
        String kind,
        String id,
        String arn,
        String accountId,
        String parentId,
        String name,
        long seq,
        long createdRevision,
        long updatedRevision,
        ObjectNode document) {

    public StoredResource {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(arn, "arn");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(document, "document");
    }

    /** A new resource; the store assigns its sequence and revisions when it is inserted. */
    public static StoredResource create(String kind, String id, String arn, String accountId, String parentId,
                                        String name, ObjectNode document) {
        return new StoredResource(kind, id, arn, accountId, parentId, name, 0, 0, 0, document);
    }

    /** This resource with another document (for an update). */
    public StoredResource withDocument(ObjectNode newDocument) {
        return new StoredResource(kind, id, arn, accountId, parentId, name, seq, createdRevision, updatedRevision,
                newDocument);
    }

    @Override
    public String toString() {
        return kind + " " + id;
    }
}
