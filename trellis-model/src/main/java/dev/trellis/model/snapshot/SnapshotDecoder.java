package dev.trellis.model.snapshot;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
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
 * with {@link VpcSnapshot#ensureConsistent()}). One decoder serves one snapshot stream (the gateway's snapshot
 * client); its methods are synchronised so that a second caller cannot corrupt what it remembers. The caller must
 * not modify a byte array after handing it over: the decoder compares the next text with it.
 */
public final class SnapshotDecoder {

    private static final ObjectMapper JSON = SnapshotCodec.mapper();
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final long QUOTES = 0x2222222222222222L;
    private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;

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
        // The structure (fields, entries) is found by a scanner that only matches brackets and skips strings:
        // tokenizing all of an 8 MB text with Jackson, even without building anything, costs most of a full
        // decode. Everything that is decoded goes through Jackson, which checks it; an entry that is not decoded
        // is byte for byte one that Jackson checked before.
        Scanner scanner = new Scanner(json);
        if (!scanner.next('{')) {
            throw new IOException("a snapshot is a JSON object");
        }
        if (!scanner.next('}')) {
            do {
                String field = scanner.fieldName();
                scanner.expect(':', "a ':' after the field name \"" + field + "\"");
                ObjectReader reader = SECTIONS.get(field);
                if (reader == null || !scanner.next('[')) {
                    // Scalars (and a list that is null or not a list) are decoded by Jackson below, as before.
                    int start = scanner.valueStart();
                    scanner.skipValue();
                    scalars.set(field, readTree(json, start, scanner.position(), field));
                    continue;
                }
                Map<Long, Known> known = previousEntries.getOrDefault(field, Map.of());
                Map<Long, Known> index = new HashMap<>();
                List<Object> list = new ArrayList<>();
                if (!scanner.next(']')) {
                    do {
                        int start = scanner.valueStart();
                        if (json[start] != '{') {
                            throw new IOException(field + "[" + list.size() + "] is not a JSON object");
                        }
                        scanner.skipValue();
                        int end = scanner.position();
                        long hash = hash(json, start, end);
                        Object entry = find(known.get(hash), json, start, end);
                        if (entry != null) {
                            reusedNow++;
                        } else {
                            decodedNow++;
                            try {
                                entry = reader.readValue(json, start, end - start);
                            } catch (IOException | RuntimeException e) {
                                throw new IOException(field + "[" + list.size() + "] is not valid: " + e.getMessage(),
                                        e);
                            }
                        }
                        index.put(hash, new Known(start, end - start, entry, index.get(hash)));
                        list.add(entry);
                    } while (scanner.next(','));
                    scanner.expect(']', "a ',' or ']' after " + field + "[" + (list.size() - 1) + "]");
                }
                entries.put(field, index);
                lists.put(field, list);
            } while (scanner.next(','));
            scanner.expect('}', "a ',' or '}' between the snapshot's fields");
        }
        scanner.expectEnd();
        VpcSnapshot snapshot = assemble(scalars, lists).ensureConsistent();
        previousJson = json;
        previousEntries = entries;
        reused = reusedNow;
        decoded = decodedNow;
        return snapshot;
    }

    private static JsonNode readTree(byte[] json, int start, int end, String field)
            throws IOException {
        try (JsonParser parser = JSON.getFactory().createParser(json, start, end - start)) {
            JsonNode node = JSON.readTree(parser);
            if (parser.nextToken() != null) {
                throw new IOException("the value of \"" + field + "\" is not one JSON value");
            }
            return node;
        } catch (IOException e) {
            throw new IOException("the value of \"" + field + "\" is not valid: " + e.getMessage(), e);
        }
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

    /**
     * Finds where JSON values begin and end without decoding them: whitespace, string quotes and escapes, and
     * bracket depth. It checks only the structure the decoder walks (object, fields, arrays, commas); the values
     * themselves are checked by Jackson when they are decoded.
     */
    private static final class Scanner {
        private final byte[] json;
        private int position;

        Scanner(byte[] json) {
            this.json = json;
        }

        int position() {
            return position;
        }

        private void skipWhitespace() {
            while (position < json.length) {
                byte c = json[position];
                if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                    return;
                }
                position++;
            }
        }

        /** Consumes {@code c} (after whitespace) when it comes next. */
        boolean next(char c) {
            skipWhitespace();
            if (position < json.length && json[position] == c) {
                position++;
                return true;
            }
            return false;
        }

        void expect(char c, String what) throws IOException {
            if (!next(c)) {
                throw error("expected " + what);
            }
        }

        void expectEnd() throws IOException {
            skipWhitespace();
            if (position != json.length) {
                throw new IOException("a snapshot is one JSON object");
            }
        }

        /** The start of the next value (after whitespace). */
        int valueStart() throws IOException {
            skipWhitespace();
            if (position >= json.length) {
                throw error("the snapshot ends where a value was expected");
            }
            return position;
        }

        String fieldName() throws IOException {
            int start = valueStart();
            if (json[start] != '"') {
                throw error("expected a field name");
            }
            skipString();
            for (int i = start + 1; i < position - 1; i++) {
                if (json[i] == '\\') {
                    return JSON.readTree(json, start, position - start).asText();
                }
            }
            return new String(json, start + 1, position - start - 2, StandardCharsets.UTF_8);
        }

        /** Skips the value at {@link #valueStart()}: a string, an object or array (whole), or a literal. */
        void skipValue() throws IOException {
            byte c = json[position];
            if (c == '"') {
                skipString();
            } else if (c == '{' || c == '[') {
                skipNested();
            } else {
                int start = position;
                while (position < json.length && !isDelimiter(json[position])) {
                    position++;
                }
                if (position == start) {
                    throw error("expected a value");
                }
            }
        }

        /**
         * Skips a string, eight bytes at a time while none of them is a quote or a backslash (most of a snapshot's
         * bytes are in strings: ids, ARNs, policies).
         */
        private void skipString() throws IOException {
            byte[] b = json;
            int p = position + 1;
            while (p < b.length) {
                if (p + 8 <= b.length) {
                    long word = (long) LONGS.get(b, p);
                    long special = zeroBytes(word ^ QUOTES) | zeroBytes(word ^ BACKSLASHES);
                    if (special == 0) {
                        p += 8;
                        continue;
                    }
                    // The lowest flagged byte is exact (little-endian): the first quote or backslash.
                    p += Long.numberOfTrailingZeros(special) >>> 3;
                }
                byte c = b[p];
                if (c == '"') {
                    position = p + 1;
                    return;
                }
                p += c == '\\' ? 2 : 1;
            }
            throw error("a string is not terminated");
        }

        /** The high bit of each byte of {@code v} that is zero (and maybe of bytes above the lowest such one). */
        private static long zeroBytes(long v) {
            return (v - 0x0101010101010101L) & ~v & 0x8080808080808080L;
        }

        private void skipNested() throws IOException {
            int depth = 0;
            byte[] b = json;
            int p = position;
            while (p < b.length) {
                byte c = b[p];
                if (c == '"') {
                    position = p;
                    skipString();
                    p = position;
                    continue;
                }
                p++;
                if (c == '{' || c == '[') {
                    depth++;
                } else if (c == '}' || c == ']') {
                    if (--depth == 0) {
                        position = p;
                        return;
                    }
                }
            }
            throw error("an object or array is not closed");
        }

        private static boolean isDelimiter(byte c) {
            return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t';
        }

        private IOException error(String what) {
            return new IOException("not a snapshot: " + what + " at byte " + position);
        }
    }
}
