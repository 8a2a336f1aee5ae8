package dev.trellis.model.snapshot;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes a gateway's stream of snapshots, reusing what did not change: every entry of the snapshot's lists
 * (services, target groups, peers, callers, certificates, DNS zones) whose JSON text is byte for byte the same as an
 * entry of the snapshot decoded before is not decoded again — the decoder returns the <em>very instance</em> it
 * decoded then. A revision that changes a few entries of an 8 MB snapshot therefore allocates only those entries
 * (the rest of the text is scanned, not materialised), and the gateway's compiler can tell unchanged entries by
 * identity ({@code ==}) and keep what it compiled from them.
 *
 * <p>Why bytes and not equality of decoded records: deciding "unchanged" must cost less than decoding, and the
 * bytes are at hand. Decoding is deterministic, so equal bytes give equal entries; the comparison is exact (a hash
 * only finds the candidate), so no change is ever missed. The price is keeping the previous snapshot's bytes (the
 * size of the JSON) for as long as the decoder lives.
 *
 * <p>The result is the same as {@link SnapshotCodec#decode} (same field semantics, unknown fields ignored, checked
 * with {@link VpcSnapshot#ensureConsistent()}). Not thread-safe by design, but synchronised: one decoder per
 * snapshot stream (the gateway's snapshot client). The caller must not modify a byte array after handing it over.
 */
public final class SnapshotDecoder {

    private static final ObjectMapper JSON = SnapshotCodec.mapper();
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);

    /** The list fields of {@link VpcSnapshot} and their entry types: the parts decoded entry by entry. */
    private static final Map<String, ObjectReader> SECTIONS = Map.of(
            "services", JSON.readerFor(ServiceEntry.class),
            "targetGroups", JSON.readerFor(TargetGroupEntry.class),
            "peers", JSON.readerFor(FabricPeer.class),
            "credentials", JSON.readerFor(CallerCredential.class),
            "certificates", JSON.readerFor(CertificateEntry.class),
            "dnsZones", JSON.readerFor(DnsZone.class));

    /** One entry as it was in the last decoded text: where, and what it decoded to; chained per hash. */
    private record Known(int offset, int length, Object value, Known next) {
    }

    private byte[] previousJson;
    /** Entries of the last decoded text, by section and then by hash of their bytes. */
    private Map<String, Map<Long, Known>> previousEntries = Map.of();
    private int reused;
    private int decoded;

    /**
     * Decodes {@code json}, reusing entries of the snapshot this decoder decoded last.
     *
     * @throws IOException when the bytes are not a snapshot (the message names the field or entry)
     * @throws IllegalStateException when the snapshot is not consistent
     */
    public synchronized VpcSnapshot decode(byte[] json) throws IOException {
        Map<String, Map<Long, Known>> entries = new HashMap<>();
        Map<String, List<Object>> lists = new HashMap<>();
        ObjectNode scalars = JSON.createObjectNode();
        int reusedNow = 0;
        int decodedNow = 0;
        try (JsonParser parser = JSON.getFactory().createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("a snapshot is a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                ObjectReader reader = SECTIONS.get(field);
                if (reader == null || value != JsonToken.START_ARRAY) {
                    // Scalars (and a list that is null or not a list) are decoded by Jackson below, as before.
                    scalars.set(field, JSON.readTree(parser));
                    continue;
                }
                Map<Long, Known> known = previousEntries.getOrDefault(field, Map.of());
                Map<Long, Known> index = new HashMap<>();
                List<Object> list = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    if (parser.currentToken() != JsonToken.START_OBJECT) {
                        throw new IOException(field + "[" + list.size() + "] is not a JSON object");
                    }
                    int start = (int) parser.currentTokenLocation().getByteOffset();
                    parser.skipChildren();
                    int end = (int) parser.currentLocation().getByteOffset();
                    long hash = hash(json, start, end);
                    Object entry = find(known.get(hash), json, start, end);
                    if (entry != null) {
                        reusedNow++;
                    } else {
                        decodedNow++;
                        try {
                            entry = reader.readValue(json, start, end - start);
                        } catch (IOException | RuntimeException e) {
                            throw new IOException(field + "[" + list.size() + "] is not valid: " + e.getMessage(), e);
                        }
                    }
                    index.put(hash, new Known(start, end - start, entry, index.get(hash)));
                    list.add(entry);
                }
                entries.put(field, index);
                lists.put(field, list);
            }
            if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
                throw new IOException("a snapshot is one JSON object");
            }
        }
        VpcSnapshot snapshot = assemble(scalars, lists).ensureConsistent();
        previousJson = json;
        previousEntries = entries;
        reused = reusedNow;
        decoded = decodedNow;
        return snapshot;
    }

    /** How many list entries the last {@link #decode} reused from the snapshot before it. */
    public synchronized int reusedEntries() {
        return reused;
    }

    /** How many list entries the last {@link #decode} decoded (new or changed). */
    public synchronized int decodedEntries() {
        return decoded;
    }

    /**
     * The snapshot of the decoded lists and the other fields: the other fields go through Jackson as a snapshot
     * with empty lists (so their semantics — {@code compiledAt} formats, nulls, unknown fields — are Jackson's, as
     * in {@link SnapshotCodec#decode}), then the lists are put in.
     */
    private static VpcSnapshot assemble(ObjectNode scalars, Map<String, List<Object>> lists) throws IOException {
        for (String section : SECTIONS.keySet()) {
            if (lists.containsKey(section)) {
                scalars.putArray(section);
            }
        }
        VpcSnapshot header = JSON.treeToValue(scalars, VpcSnapshot.class);
        try {
            return new VpcSnapshot(header.revision(), header.vpcId(), header.accountId(), header.region(),
                    header.compiledAt(), list(lists, "services", header.services()),
                    list(lists, "targetGroups", header.targetGroups()), list(lists, "peers", header.peers()),
                    list(lists, "credentials", header.credentials()),
                    list(lists, "certificates", header.certificates()), list(lists, "dnsZones", header.dnsZones()));
        } catch (RuntimeException e) {
            throw new IOException("not a snapshot: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> list(Map<String, List<Object>> lists, String section, List<T> decodedByJackson) {
        List<Object> list = lists.get(section);
        return list == null ? decodedByJackson : (List<T>) list;
    }

    /** The value of a known entry whose bytes are exactly {@code json[start, end)}, or null. */
    private Object find(Known candidate, byte[] json, int start, int end) {
        for (Known known = candidate; known != null; known = known.next()) {
            if (known.length() == end - start && Arrays.equals(previousJson, known.offset(),
                    known.offset() + known.length(), json, start, end)) {
                return known.value();
            }
        }
        return null;
    }

    /**
     * A 64-bit hash of {@code bytes[from, to)}, eight bytes at a time: it only picks the candidate that
     * {@link #find} then compares exactly, so it needs spread, not strength.
     */
    static long hash(byte[] bytes, int from, int to) {
        long h = 0x9E3779B97F4A7C15L ^ (to - from);
        int i = from;
        for (; i + 8 <= to; i += 8) {
            h = Long.rotateLeft(h ^ ((long) LONGS.get(bytes, i) * 0xC2B2AE3D27D4EB4FL), 31) * 0x9E3779B97F4A7C15L;
        }
        for (; i < to; i++) {
            h = (h ^ bytes[i]) * 0x100000001B3L;
        }
        return h ^ (h >>> 29);
    }
}
