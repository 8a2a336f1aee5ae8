package dev.trellis.controlplane.store;

import java.util.List;
import java.util.Optional;

/**
 * What an API handler may do inside one {@link Store} transaction. Reads see the transaction's own writes.
 */
public interface StoreTransaction {

    Optional<StoredResource> get(String kind, String id);

    Optional<StoredResource> getByArn(String arn);

    /** The resource of {@code kind} named {@code name} in {@code accountId} (and {@code parentId}, when not null). */
    Optional<StoredResource> getByName(String kind, String accountId, String parentId, String name);

    /**
     * Resources of {@code kind} (children of {@code parentId} when it is not null) in creation order, starting after
     * sequence {@code afterSeq}, at most {@code limit}.
     */
    List<StoredResource> list(String kind, String parentId, long afterSeq, int limit);

    /** How many resources of {@code kind} exist (children of {@code parentId} when it is not null). */
    long count(String kind, String parentId);

    /** Inserts a new resource and returns it with its sequence and revisions. */
    StoredResource insert(StoredResource resource);

    /** Replaces the document of an existing resource and returns it with its new revision. */
    StoredResource update(StoredResource resource);

    void delete(String kind, String id);

    /** The response recorded for this client token, if any. */
    Optional<IdempotentResponse> idempotentResponse(String accountId, String operation, String clientToken);

    /** Records (or replaces) the response given for this client token. */
    void recordIdempotentResponse(String accountId, String operation, String clientToken, IdempotentResponse response);

    /** The fingerprint of the parameters a client token was first used with, and the response then given. */
    record IdempotentResponse(String fingerprint, String response) {
    }
}
