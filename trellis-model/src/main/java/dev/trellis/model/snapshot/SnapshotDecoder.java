package dev.trellis.model.snapshot;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
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
 * only finds the candidate), so no change is ever missed. The price is keeping the previous snapshot's entries'
 * bytes (about the size of the JSON, in one small array per entry) for as long as the decoder lives.
 *
 * <p>The result is the same as {@link SnapshotCodec#decode} (same field semantics, unknown fields ignored, checked
 * with {@link VpcSnapshot#ensureConsistent()}). One decoder serves one snapshot stream (the gateway's snapshot
 * client); its methods are synchronised so that a second caller cannot corrupt what it remembers.
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

    /**
     * One entry of a decoded text: its bytes, and what they decoded to. An entry found unchanged in the next text
     * keeps its {@code Known}, so a revision allocates nothing for it.
     */
    private record Known(byte[] text, Object value) {
    }

    /** Entries of the last decoded text, by section. */
    private Map<String, Index> previousEntries = Map.of();
    private int reused;
    private int decoded;

    /**
     * Decodes {@code json}, reusing entries of the snapshot this decoder decoded last.
     *
     * @throws IOException when the bytes are not a snapshot (the message names the field or entry)
     * @throws IllegalStateException when the snapshot is not consistent
     */
    public synchronized VpcSnapshot decode(byte[] json) throws IOException {
        return decode(new ByteArrayInputStream(json));
    }

    /**
     * Decodes the snapshot that {@code json} streams, to its end, reusing entries of the snapshot this decoder
     * decoded last. The text is read through a window the size of the largest entry (64 KB at least), never held
     * whole: a gateway receives an 8 MB snapshot for every revision, and one 8 MB array per revision is what
     * the collector calls a humongous object, whose allocation made G1 start a concurrent cycle — a pause of the
     * gateway's traffic — at every swap. Only the entries that changed are copied out of the window (their bytes
     * are what the next revision is compared with). The caller closes the stream.
     *
     * @throws IOException when the stream fails or does not hold a snapshot (the message names the field or entry)
     * @throws IllegalStateException when the snapshot is not consistent
     */
    public synchronized VpcSnapshot decode(InputStream json) throws IOException {
        Map<String, Index> entries = new HashMap<>();
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
                    scanner.beginValue();
                    scanner.skipValue();
                    scalars.set(field, readTree(scanner.buffer(), scanner.valueStart(), scanner.position(), field));
                    scanner.endValue();
                    continue;
                }
                Index known = previousEntries.getOrDefault(field, Index.EMPTY);
                Index index = new Index(known.size());
                List<Object> list = new ArrayList<>();
                Map<String, Object> previousById = null;
                if (!scanner.next(']')) {
                    do {
                        scanner.beginValue();
                        if (scanner.buffer()[scanner.valueStart()] != '{') {
                            throw new IOException(field + "[" + list.size() + "] is not a JSON object");
                        }
                        scanner.skipValue();
                        // the window may have moved while skipping: read where the entry is only now
                        byte[] window = scanner.buffer();
                        int start = scanner.valueStart();
                        int end = scanner.position();
                        long hash = hash(window, start, end);
                        Known entry = known.find(hash, window, start, end);
                        if (entry != null) {
                            reusedNow++;
                        } else {
                            decodedNow++;
                            byte[] text = Arrays.copyOfRange(window, start, end);
                            Object value;
                            try {
                                value = reader.readValue(text);
                            } catch (IOException | RuntimeException e) {
                                throw new IOException(field + "[" + list.size() + "] is not valid: " + e.getMessage(),
                                        e);
                            }
                            if (value instanceof ServiceEntry || value instanceof TargetGroupEntry) {
                                if (previousById == null) {
                                    previousById = known.valuesById();
                                }
                                value = sharing(value, previousById);
                            }
                            entry = new Known(text, value);
                        }
                        scanner.endValue();
                        index.add(hash, entry);
                        list.add(entry.value());
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
        previousEntries = entries;
        reused = reusedNow;
        decoded = decodedNow;
        return snapshot;
    }

    /**
     * A changed service or target group with the parts that equal its previous version's (same id) replaced by that
     * version's own objects: what survives a swap is then only what changed — one target of a group of hundreds,
     * one rule of a service — not a copy of everything around it. Whatever lives on after a swap is copied by the
     * collector's next young pause, so fewer new long-lived objects make shorter pauses.
     */
    private static Object sharing(Object value, Map<String, Object> previousById) {
        if (value instanceof ServiceEntry service
                && previousById.get(service.id()) instanceof ServiceEntry before) {
            return service.sharing(before);
        }
        if (value instanceof TargetGroupEntry group
                && previousById.get(group.id()) instanceof TargetGroupEntry before) {
            return group.sharing(before);
        }
        return value;
    }

    /** {@code before} when it equals {@code now} (for the entries' {@code sharing} methods), else {@code now}. */
    static <T> T shared(T now, T before) {
        return now != null && now.equals(before) ? before : now;
    }

    /**
     * {@code now} with each element that equals one of {@code before}'s replaced by that one (for the entries'
     * {@code sharing} methods): {@code before} itself when the two are equal.
     */
    static <T> List<T> sharedList(List<T> now, List<T> before) {
        if (now.equals(before)) {
            return before;
        }
        List<T> shared = new ArrayList<>(now.size());
        Map<T, T> known = null;
        for (int i = 0; i < now.size(); i++) {
            T element = now.get(i);
            if (i < before.size() && before.get(i).equals(element)) {
                // Most changes leave the order of the others as it was.
                shared.add(before.get(i));
                continue;
            }
            if (known == null) {
                known = new HashMap<>();
                for (T old : before) {
                    known.putIfAbsent(old, old);
                }
            }
            shared.add(known.getOrDefault(element, element));
        }
        return shared;
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

    /**
     * The entries of one list of a decoded text, by the hash of their bytes: open addressing over two arrays, so an
     * index of thousands of entries costs two arrays per revision, not a boxed key and a node per entry. Entries with
     * equal hashes (equal bytes, or a collision) sit side by side; {@link #find} compares the bytes.
     */
    private static final class Index {
        static final Index EMPTY = new Index(0);

        private long[] hashes;
        private Known[] entries;
        private int size;

        /** An index sized for about {@code expected} entries (it grows past them). */
        Index(int expected) {
            int capacity = Integer.highestOneBit(Math.max(8, expected * 2 - 1)) << 1;
            hashes = new long[capacity];
            entries = new Known[capacity];
        }

        int size() {
            return size;
        }

        void add(long hash, Known entry) {
            if (2 * (size + 1) > entries.length) {
                long[] oldHashes = hashes;
                Known[] oldEntries = entries;
                hashes = new long[oldEntries.length * 2];
                entries = new Known[oldEntries.length * 2];
                for (int i = 0; i < oldEntries.length; i++) {
                    if (oldEntries[i] != null) {
                        put(oldHashes[i], oldEntries[i]);
                    }
                }
            }
            put(hash, entry);
            size++;
        }

        private void put(long hash, Known entry) {
            int mask = entries.length - 1;
            int i = (int) hash & mask;
            while (entries[i] != null) {
                i = (i + 1) & mask;
            }
            hashes[i] = hash;
            entries[i] = entry;
        }

        /** The services' and target groups' values, by id (other values are left out). */
        Map<String, Object> valuesById() {
            Map<String, Object> byId = new HashMap<>();
            for (Known known : entries) {
                if (known == null) {
                    continue;
                }
                if (known.value() instanceof ServiceEntry service) {
                    byId.put(service.id(), service);
                } else if (known.value() instanceof TargetGroupEntry group) {
                    byId.put(group.id(), group);
                }
            }
            return byId;
        }

        /** The entry whose bytes are exactly {@code window[start, end)}, or null. */
        Known find(long hash, byte[] window, int start, int end) {
            int mask = entries.length - 1;
            for (int i = (int) hash & mask; entries[i] != null; i = (i + 1) & mask) {
                Known known = entries[i];
                if (hashes[i] == hash
                        && Arrays.equals(known.text(), 0, known.text().length, window, start, end)) {
                    return known;
                }
            }
            return null;
        }
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
     *
     * <p>It reads the stream through a window: the bytes from {@link #beginValue()} to {@link #endValue()} stay in
     * it (the window grows when one value does not fit), the bytes before are dropped when it is refilled. Every
     * refill may move the window's bytes, so indices into {@link #buffer()} hold only until the scanner reads on.
     */
    private static final class Scanner {
        private static final int WINDOW = 64 * 1024;

        private final InputStream in;
        private byte[] window = new byte[WINDOW];
        /** How many bytes of {@link #window} hold text. */
        private int limit;
        private int position;
        /** Where the value being scanned starts, or -1: the window keeps it while it is refilled. */
        private int mark = -1;
        /** How many bytes of the stream came before {@code window[0]}: for the error messages. */
        private long dropped;

        Scanner(InputStream in) {
            this.in = in;
        }

        byte[] buffer() {
            return window;
        }

        int position() {
            return position;
        }

        /** The start of the value being scanned. */
        int valueStart() {
            return mark;
        }

        /**
         * Reads more of the stream into the window, first dropping what is behind the value being scanned (or behind
         * the position). False at the end of the stream.
         */
        private boolean fill() throws IOException {
            int keep = mark >= 0 ? mark : position;
            if (keep > 0) {
                System.arraycopy(window, keep, window, 0, limit - keep);
                limit -= keep;
                position -= keep;
                if (mark >= 0) {
                    mark -= keep;
                }
                dropped += keep;
            }
            if (limit == window.length) {
                window = Arrays.copyOf(window, window.length * 2);
            }
            int n;
            do {
                n = in.read(window, limit, window.length - limit);
            } while (n == 0);
            if (n < 0) {
                return false;
            }
            limit += n;
            return true;
        }

        /** True when a byte is at the position, reading more when needed. */
        private boolean more() throws IOException {
            return position < limit || fill();
        }

        private void skipWhitespace() throws IOException {
            while (more()) {
                byte c = window[position];
                if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                    return;
                }
                position++;
            }
        }

        /** Consumes {@code c} (after whitespace) when it comes next. */
        boolean next(char c) throws IOException {
            skipWhitespace();
            if (position < limit && window[position] == c) {
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
            if (position < limit) {
                throw new IOException("a snapshot is one JSON object");
            }
        }

        /** Starts a value (after whitespace): the window keeps it from here until {@link #endValue()}. */
        void beginValue() throws IOException {
            skipWhitespace();
            if (position >= limit) {
                throw error("the snapshot ends where a value was expected");
            }
            mark = position;
        }

        /** Lets the window drop the value begun last. */
        void endValue() {
            mark = -1;
        }

        String fieldName() throws IOException {
            beginValue();
            if (window[mark] != '"') {
                throw error("expected a field name");
            }
            skipString();
            int start = mark;
            endValue();
            for (int i = start + 1; i < position - 1; i++) {
                if (window[i] == '\\') {
                    return JSON.readTree(window, start, position - start).asText();
                }
            }
            return new String(window, start + 1, position - start - 2, StandardCharsets.UTF_8);
        }

        /** Skips the value at {@link #beginValue()}: a string, an object or array (whole), or a literal. */
        void skipValue() throws IOException {
            byte c = window[position];
            if (c == '"') {
                skipString();
            } else if (c == '{' || c == '[') {
                skipNested();
            } else {
                while (more() && !isDelimiter(window[position])) {
                    position++;
                }
                if (position == mark) {
                    throw error("expected a value");
                }
            }
        }

        /**
         * Skips a string, eight bytes at a time while none of them is a quote or a backslash (most of a snapshot's
         * bytes are in strings: ids, ARNs, policies).
         */
        private void skipString() throws IOException {
            position++;
            while (true) {
                if (!more()) {
                    throw error("a string is not terminated");
                }
                byte[] b = window;
                int p = position;
                int end = limit;
                while (p + 8 <= end) {
                    long word = (long) LONGS.get(b, p);
                    long special = zeroBytes(word ^ QUOTES) | zeroBytes(word ^ BACKSLASHES);
                    if (special != 0) {
                        // The lowest flagged byte is exact (little-endian): the first quote or backslash.
                        p += Long.numberOfTrailingZeros(special) >>> 3;
                        break;
                    }
                    p += 8;
                }
                while (p < end && b[p] != '"' && b[p] != '\\') {
                    p++;
                }
                position = p;
                if (p == end) {
                    continue;
                }
                if (b[p] == '"') {
                    position = p + 1;
                    return;
                }
                // a backslash: the byte after it is escaped, whatever it is
                position = p + 1;
                if (!more()) {
                    throw error("a string is not terminated");
                }
                position++;
            }
        }

        /** The high bit of each byte of {@code v} that is zero (and maybe of bytes above the lowest such one). */
        private static long zeroBytes(long v) {
            return (v - 0x0101010101010101L) & ~v & 0x8080808080808080L;
        }

        private void skipNested() throws IOException {
            int depth = 0;
            while (more()) {
                byte c = window[position];
                if (c == '"') {
                    skipString();
                    continue;
                }
                position++;
                if (c == '{' || c == '[') {
                    depth++;
                } else if (c == '}' || c == ']') {
                    if (--depth == 0) {
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
            return new IOException("not a snapshot: " + what + " at byte " + (dropped + position));
        }
    }
}
