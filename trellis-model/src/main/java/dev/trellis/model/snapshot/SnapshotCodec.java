package dev.trellis.model.snapshot;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;

/**
 * Snapshots as JSON, the form they travel in (control plane → gateway) and rest in (a gateway's last good snapshot on
 * disk). Unknown fields are ignored, so an older gateway reads a newer control plane's snapshots; every decoded
 * snapshot is checked with {@link VpcSnapshot#ensureConsistent()}. A gateway decoding one revision after another
 * uses a {@link SnapshotDecoder}, which decodes only what changed.
 */
public final class SnapshotCodec {

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private SnapshotCodec() {
    }

    /** The mapper both decoders use, so a {@link SnapshotDecoder} reads exactly what {@link #decode} reads. */
    static ObjectMapper mapper() {
        return JSON;
    }

    public static byte[] encode(VpcSnapshot snapshot) {
        try {
            return JSON.writeValueAsBytes(snapshot);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + snapshot, e);
        }
    }

    /**
     * @throws IOException when the bytes are not a snapshot
     * @throws IllegalStateException when the snapshot is not consistent
     */
    public static VpcSnapshot decode(byte[] json) throws IOException {
        VpcSnapshot snapshot = JSON.readValue(json, VpcSnapshot.class);
        return snapshot.ensureConsistent();
    }
}
