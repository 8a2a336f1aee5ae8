package dev.trellis.benchmarks;

import dev.trellis.benchmarks.gateway.BenchSnapshots;
import dev.trellis.model.snapshot.SnapshotCodec;
import dev.trellis.model.snapshot.SnapshotDecoder;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the gateway's {@link SnapshotDecoder} costs per revision of the big snapshot of {@code ./bench
 * snapshot-memory} (2,000 services, 2,000 target groups of 25 targets, 200 callers: 8.5 MB of JSON), on one thread
 * with nothing else running — the swap's decode half, apart from the compile and from the traffic.
 *
 * <ul>
 *   <li>{@link #sameText}: the same text again; every entry is found unchanged. The floor of a swap: scan, hash and
 *       compare every byte.</li>
 *   <li>{@link #changedRevision}: a revision that changes 20 services' canary weights, adds a target to 25 groups
 *       and removes one from 25 others, and adds a service with a group ({@link BenchSnapshots#changed}); decoded
 *       against the revision before, back and forth.</li>
 *   <li>{@link #sameTextStreamedInSmallReads}: the same text through reads of 16 KB, as an HTTP client's body
 *       stream hands it over; what the window's refills cost.</li>
 *   <li>{@link #baselineDecodeEverything}: the baseline, {@link SnapshotCodec#decode}: Jackson decodes the whole
 *       text, reusing nothing, as the gateway did before it had a {@link SnapshotDecoder}.</li>
 * </ul>
 *
 * Reads the walkthrough's policies from {@code ../shared/reference} (run it from the project root, as {@code ./bench}
 * does) or from {@code -Dtrellis.reference=DIR}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class SnapshotDecodeBenchmark {

    private byte[] revision;
    private byte[] next;
    private boolean atNext;
    private SnapshotDecoder decoder;

    @Setup
    public void setUp() throws IOException {
        Path reference = Path.of(System.getProperty("trellis.reference", "../shared/reference"));
        VpcSnapshot big = BenchSnapshots.large(2, 8080, 2000, 2000, 25, 200,
                BenchSnapshots.WalkthroughPolicies.read(reference));
        revision = SnapshotCodec.encode(big);
        next = SnapshotCodec.encode(BenchSnapshots.changed(big, 1, 20, 50, 25));
        decoder = new SnapshotDecoder();
        decoder.decode(revision);
        atNext = false;
    }

    @Benchmark
    public VpcSnapshot sameText() throws IOException {
        return decoder.decode(atNext ? next : revision);
    }

    @Benchmark
    public VpcSnapshot changedRevision() throws IOException {
        atNext = !atNext;
        return decoder.decode(atNext ? next : revision);
    }

    @Benchmark
    public VpcSnapshot sameTextStreamedInSmallReads() throws IOException {
        byte[] text = atNext ? next : revision;
        return decoder.decode(new ByteArrayInputStream(text) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 16 * 1024));
            }
        });
    }

    @Benchmark
    public VpcSnapshot baselineDecodeEverything() throws IOException {
        return SnapshotCodec.decode(revision);
    }
}
