package dev.trellis.benchmarks.api;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The baseline: how fast the database itself commits, measured through plain JDBC with no control plane, no HTTP
 * and no SigV4. One operation is one transaction that inserts one row of {@value #PAYLOAD_CHARS} characters (about
 * a resource document's size) and commits. Each thread has its own connection and prepared statement.
 */
final class RawCommits {

    static final int PAYLOAD_CHARS = 1024;

    private RawCommits() {
    }

    static TimedRun.Result measure(StoreUnderTest store, int threads, Duration warmup, Duration measured)
            throws SQLException, InterruptedException {
        store.resetRawTable();
        String payload = "x".repeat(PAYLOAD_CHARS);
        AtomicLong ids = new AtomicLong();
        List<Connection> connections = new ArrayList<>();
        List<TimedRun.Operation> operations = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                Connection c = store.rawConnection();
                connections.add(c);
                c.setAutoCommit(false);
                PreparedStatement insert = c.prepareStatement("INSERT INTO raw_commit (id, payload) VALUES (?, ?)");
                operations.add(sequence -> {
                    try {
                        insert.setLong(1, ids.incrementAndGet());
                        insert.setString(2, payload);
                        insert.executeUpdate();
                        c.commit();
                    } catch (SQLException e) {
                        c.rollback(); // PostgreSQL refuses every statement of a failed transaction until then
                        throw e;
                    }
                });
            }
            return TimedRun.run(operations, warmup, measured);
        } finally {
            for (Connection c : connections) {
                c.close();
            }
        }
    }
}
