package dev.trellis.controlplane.store;

import java.time.Duration;
import java.util.function.Function;

/**
 * Where the control plane keeps its state. Every {@link #write} is one database transaction; writes are serialised
 * and each one that changes something bumps the global revision by one, so revision order is commit order and a
 * reader that has seen revision N has seen every write up to N. A write returns only after its commit, which makes
 * it durable: no acknowledged write is lost by a crash of the process.
 */
public interface Store extends AutoCloseable {

    /** Runs {@code work} in one serialised read-write transaction and commits it (or rolls back on exception). */
    <T> T write(Function<StoreTransaction, T> work);

    /** Runs {@code work} in a read-only transaction. */
    <T> T read(Function<StoreTransaction, T> work);

    /** The revision of the last committed write. */
    long revision();

    /**
     * Waits until the revision is greater than {@code revision} or {@code timeout} passes; returns the current
     * revision. Wakes on writes made through this store and, for stores shared by several servers, through others.
     */
    long awaitRevisionAfter(long revision, Duration timeout) throws InterruptedException;

    /** A short description for logs: the kind of database and where it is, never credentials. */
    String describe();

    @Override
    void close();
}
