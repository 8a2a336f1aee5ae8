package dev.trellis.gateway;

import dev.trellis.gateway.target.TargetHealth;
import dev.trellis.model.snapshot.VpcSnapshot;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot a gateway currently serves: one volatile reference, read lock-free by every request.
 *
 * <p>{@link #swap} compiles the new snapshot completely (a snapshot that does not compile is refused and the old
 * one stays), then publishes it with one volatile write, then tells listeners (the server opens and closes ports):
 * make before break. Target health carries over: a target registered in both snapshots keeps its
 * {@link TargetHealth}. A swap costs what changed when {@code next} comes from the same
 * {@link dev.trellis.model.snapshot.SnapshotDecoder} as the snapshot before (as the snapshot client's do): its
 * unchanged entries are the very same objects, and the compile keeps what it built from them
 * ({@link GatewaySnapshot#compile}).
 */
public final class GatewaySnapshots {

    private static final Logger log = LoggerFactory.getLogger(GatewaySnapshots.class);

    private final Object swapLock = new Object();
    private final List<BiConsumer<GatewaySnapshot, GatewaySnapshot>> listeners = new CopyOnWriteArrayList<>();
    private volatile GatewaySnapshot current;

    /** Starts with {@code initial} (for instance {@link VpcSnapshot#empty}, or the last good snapshot on disk). */
    public GatewaySnapshots(VpcSnapshot initial) {
        this.current = GatewaySnapshot.compile(initial, null);
    }

    /** The snapshot requests are served from now. */
    public GatewaySnapshot current() {
        return current;
    }

    /**
     * Compiles {@code next} and makes it current.
     *
     * @return the compiled snapshot now being served
     * @throws IllegalStateException when {@code next} is inconsistent or not for this gateway's VPC; the current
     *     snapshot stays
     */
    public GatewaySnapshot swap(VpcSnapshot next) {
        Objects.requireNonNull(next, "next");
        GatewaySnapshot previous;
        GatewaySnapshot compiled;
        // Swaps are serialised so that the health registry and the listeners see snapshots in order; readers never
        // take this lock.
        synchronized (swapLock) {
            previous = current;
            if (!previous.snapshot().vpcId().equals(next.vpcId())) {
                throw new IllegalStateException("snapshot for " + next.vpcId() + " offered to the gateway of "
                        + previous.snapshot().vpcId());
            }
            compiled = GatewaySnapshot.compile(next, previous);
            current = compiled;
            for (BiConsumer<GatewaySnapshot, GatewaySnapshot> listener : listeners) {
                try {
                    listener.accept(previous, compiled);
                } catch (RuntimeException e) {
                    log.error("snapshot listener failed on {}: {}", compiled, e.toString(), e);
                }
            }
        }
        log.info("serving {} (was revision {})", compiled, previous.revision());
        return compiled;
    }

    /**
     * Called after each swap with (previous, current), on the swapping thread, in swap order. The server uses it
     * to open and close listener ports.
     */
    public void onSwap(BiConsumer<GatewaySnapshot, GatewaySnapshot> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }
}
