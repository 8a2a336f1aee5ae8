package dev.trellis.controlplane.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Store} over a JDBC database, H2 or PostgreSQL: the same schema (Flyway migrations) and the same SQL.
 *
 * <p>Writes are serialised twice: by a lock in this JVM, so concurrent API calls queue instead of timing out on row
 * locks, and by {@code SELECT ... FOR UPDATE} on the revision row, so several servers sharing one PostgreSQL database
 * stay serialised too. Each write that changes something bumps the revision once, in the same transaction.
 */
public class JdbcStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(JdbcStore.class);
    private static final String COLUMNS =
            "kind, id, arn, account_id, parent_id, name, seq, created_revision, updated_revision, document";

    private final HikariDataSource dataSource;
    private final String description;
    private final ObjectMapper json = new ObjectMapper();
    private final ReentrantLock writeLock = new ReentrantLock(true);
    private final ReentrantLock revisionLock = new ReentrantLock();
    private final Condition revisionChanged = revisionLock.newCondition();
    private volatile long revision;

    protected JdbcStore(HikariConfig config, String description) {
        this.description = description;
        this.dataSource = new HikariDataSource(config);
        try {
            Flyway.configure()
                    .dataSource(dataSource)
                    .locations("classpath:dev/trellis/controlplane/store/migration")
                    .table("trellis_schema_history")
                    .load()
                    .migrate();
            this.revision = readRevision();
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        log.info("store ready: {} at revision {}", description, revision);
    }

    @Override
    public <T> T write(Function<StoreTransaction, T> work) {
        writeLock.lock();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                long current;
                long nextSeq;
                try (PreparedStatement lock = connection.prepareStatement(
                        "SELECT revision, next_seq FROM trellis_revision WHERE id = 1 FOR UPDATE");
                     ResultSet rs = lock.executeQuery()) {
                    rs.next();
                    current = rs.getLong(1);
                    nextSeq = rs.getLong(2);
                }
                Transaction tx = new Transaction(connection, current + 1, nextSeq);
                T result = work.apply(tx);
                if (tx.dirty) {
                    try (PreparedStatement bump = connection.prepareStatement(
                            "UPDATE trellis_revision SET revision = ?, next_seq = ? WHERE id = 1")) {
                        bump.setLong(1, tx.revision);
                        bump.setLong(2, tx.nextSeq);
                        bump.executeUpdate();
                    }
                }
                connection.commit();
                if (tx.dirty) {
                    publish(tx.revision);
                }
                return result;
            } catch (RuntimeException | Error e) {
                rollback(connection);
                throw e;
            } catch (SQLException e) {
                rollback(connection);
                throw new StoreException("write failed: " + e.getMessage(), e);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot reach the store (" + description + "): " + e.getMessage(), e);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public <T> T read(Function<StoreTransaction, T> work) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            try {
                T result = work.apply(new Transaction(connection, -1, -1));
                connection.commit();
                return result;
            } catch (RuntimeException | Error e) {
                // End the transaction first: PostgreSQL refuses to change read-only in the middle of one, and that
                // failure would hide the handler's own exception.
                rollback(connection);
                throw e;
            } finally {
                connection.setReadOnly(false);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the store (" + description + "): " + e.getMessage(), e);
        }
    }

    @Override
    public long revision() {
        return revision;
    }

    @Override
    public long awaitRevisionAfter(long after, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        revisionLock.lock();
        try {
            while (revision <= after) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                // Wake at least every 250 ms to see writes of other servers sharing the database.
                revisionChanged.awaitNanos(Math.min(left, Duration.ofMillis(250).toNanos()));
                if (revision <= after && sharedWithOtherServers()) {
                    refreshRevision();
                }
            }
            return revision;
        } finally {
            revisionLock.unlock();
        }
    }

    /** True when other processes may write to the same database (PostgreSQL), so the revision must be re-read. */
    protected boolean sharedWithOtherServers() {
        return false;
    }

    private void refreshRevision() {
        try {
            long latest = readRevision();
            if (latest > revision) {
                revision = latest;
            }
        } catch (StoreException e) {
            log.warn("cannot refresh the revision: {}", e.getMessage());
        }
    }

    private void publish(long newRevision) {
        revisionLock.lock();
        try {
            if (newRevision > revision) {
                revision = newRevision;
            }
            revisionChanged.signalAll();
        } finally {
            revisionLock.unlock();
        }
    }

    private long readRevision() {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement ps = connection.prepareStatement("SELECT revision FROM trellis_revision WHERE id = 1");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new StoreException("cannot read the revision: " + e.getMessage(), e);
        }
    }

    private static void rollback(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            log.warn("rollback failed: {}", e.getMessage());
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        dataSource.close();
        log.info("store closed: {}", description);
    }

    /** The transaction handed to API handlers. Not thread-safe: one handler uses it at a time. */
    private final class Transaction implements StoreTransaction {
        private final Connection connection;
        private final long revision;
        private long nextSeq;
        private boolean dirty;

        Transaction(Connection connection, long revision, long nextSeq) {
            this.connection = connection;
            this.revision = revision;
            this.nextSeq = nextSeq;
        }

        @Override
        public Optional<StoredResource> get(String kind, String id) {
            return queryOne("SELECT " + COLUMNS + " FROM trellis_resource WHERE kind = ? AND id = ?", kind, id);
        }

        @Override
        public Optional<StoredResource> getByArn(String arn) {
            return queryOne("SELECT " + COLUMNS + " FROM trellis_resource WHERE arn = ?", arn);
        }

        @Override
        public Optional<StoredResource> getByName(String kind, String accountId, String parentId, String name) {
            if (parentId == null) {
                return queryOne("SELECT " + COLUMNS + " FROM trellis_resource"
                        + " WHERE kind = ? AND account_id = ? AND name = ?", kind, accountId, name);
            }
            return queryOne("SELECT " + COLUMNS + " FROM trellis_resource"
                    + " WHERE kind = ? AND account_id = ? AND parent_id = ? AND name = ?",
                    kind, accountId, parentId, name);
        }

        @Override
        public List<StoredResource> list(String kind, String parentId, long afterSeq, int limit) {
            String sql = "SELECT " + COLUMNS + " FROM trellis_resource WHERE kind = ?"
                    + (parentId == null ? "" : " AND parent_id = ?") + " AND seq > ? ORDER BY seq LIMIT ?";
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                int i = 1;
                ps.setString(i++, kind);
                if (parentId != null) {
                    ps.setString(i++, parentId);
                }
                ps.setLong(i++, afterSeq);
                ps.setInt(i, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<StoredResource> result = new ArrayList<>();
                    while (rs.next()) {
                        result.add(row(rs));
                    }
                    return result;
                }
            } catch (SQLException e) {
                throw new StoreException("cannot list " + kind + ": " + e.getMessage(), e);
            }
        }

        @Override
        public long count(String kind, String parentId) {
            String sql = "SELECT COUNT(*) FROM trellis_resource WHERE kind = ?"
                    + (parentId == null ? "" : " AND parent_id = ?");
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ps.setString(1, kind);
                if (parentId != null) {
                    ps.setString(2, parentId);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            } catch (SQLException e) {
                throw new StoreException("cannot count " + kind + ": " + e.getMessage(), e);
            }
        }

        @Override
        public StoredResource insert(StoredResource r) {
            requireWritable();
            StoredResource stored = new StoredResource(r.kind(), r.id(), r.arn(), r.accountId(), r.parentId(),
                    r.name(), nextSeq++, revision, revision, r.document());
            update("INSERT INTO trellis_resource (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    stored.kind(), stored.id(), stored.arn(), stored.accountId(), stored.parentId(), stored.name(),
                    stored.seq(), revision, revision, text(stored.document()));
            dirty = true;
            return stored;
        }

        @Override
        public StoredResource update(StoredResource r) {
            requireWritable();
            int changed = update("UPDATE trellis_resource SET document = ?, updated_revision = ?"
                    + " WHERE kind = ? AND id = ?", text(r.document()), revision, r.kind(), r.id());
            if (changed != 1) {
                throw new StoreException("cannot update " + r + ": it does not exist", null);
            }
            dirty = true;
            return new StoredResource(r.kind(), r.id(), r.arn(), r.accountId(), r.parentId(), r.name(), r.seq(),
                    r.createdRevision(), revision, r.document());
        }

        @Override
        public void delete(String kind, String id) {
            requireWritable();
            if (update("DELETE FROM trellis_resource WHERE kind = ? AND id = ?", kind, id) > 0) {
                dirty = true;
            }
        }

        @Override
        public Optional<IdempotentResponse> idempotentResponse(String accountId, String operation,
                                                               String clientToken) {
            try (PreparedStatement ps = connection.prepareStatement("SELECT fingerprint, response"
                    + " FROM trellis_idempotency WHERE account_id = ? AND operation = ? AND client_token = ?")) {
                ps.setString(1, accountId);
                ps.setString(2, operation);
                ps.setString(3, clientToken);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next()
                            ? Optional.of(new IdempotentResponse(rs.getString(1), rs.getString(2)))
                            : Optional.empty();
                }
            } catch (SQLException e) {
                throw new StoreException("cannot read a client token: " + e.getMessage(), e);
            }
        }

        @Override
        public void recordIdempotentResponse(String accountId, String operation, String clientToken,
                                             IdempotentResponse response) {
            requireWritable();
            // Replaces a record whose result is gone (an ACM certificate deleted since, say).
            update("DELETE FROM trellis_idempotency WHERE account_id = ? AND operation = ? AND client_token = ?",
                    accountId, operation, clientToken);
            update("INSERT INTO trellis_idempotency (account_id, operation, client_token, fingerprint, response,"
                    + " created_revision) VALUES (?, ?, ?, ?, ?, ?)",
                    accountId, operation, clientToken, response.fingerprint(), response.response(), revision);
        }

        private void requireWritable() {
            if (revision < 0) {
                throw new IllegalStateException("this is a read-only transaction");
            }
        }

        private Optional<StoredResource> queryOne(String sql, String... args) {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    ps.setString(i + 1, args[i]);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(row(rs)) : Optional.empty();
                }
            } catch (SQLException e) {
                throw new StoreException("query failed: " + e.getMessage(), e);
            }
        }

        private int update(String sql, Object... args) {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    ps.setObject(i + 1, args[i]);
                }
                return ps.executeUpdate();
            } catch (SQLException e) {
                throw new StoreException("update failed: " + e.getMessage(), e);
            }
        }

        private StoredResource row(ResultSet rs) throws SQLException {
            try {
                return new StoredResource(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getLong(7), rs.getLong(8), rs.getLong(9),
                        (ObjectNode) json.readTree(rs.getString(10)));
            } catch (JsonProcessingException e) {
                throw new StoreException("corrupt document of " + rs.getString(1) + " " + rs.getString(2), e);
            }
        }

        private String text(ObjectNode document) {
            try {
                return json.writeValueAsString(document);
            } catch (JsonProcessingException e) {
                throw new StoreException("cannot serialise a document", e);
            }
        }
    }
}
