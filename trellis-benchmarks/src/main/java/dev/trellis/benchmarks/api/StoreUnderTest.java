package dev.trellis.benchmarks.api;

import dev.trellis.controlplane.ControlPlane;
import dev.trellis.controlplane.ControlPlaneConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * One kind of store the benchmark runs on: fresh control-plane stores (one per phase, named by a label), and next to
 * them (same engine, same settings, same disk) a place for the raw-commit baseline. {@link #close} removes
 * everything it made.
 */
abstract class StoreUnderTest implements AutoCloseable {

    /** The table the raw-commit baseline inserts into: a key and a document-sized payload, like a resource row. */
    static final String RAW_TABLE = "CREATE TABLE raw_commit (id BIGINT PRIMARY KEY, payload TEXT NOT NULL)";

    protected final Path workDir;

    protected StoreUnderTest(Path workDir) {
        this.workDir = workDir;
    }

    /** The name in the report: {@code H2} or {@code PostgreSQL}. */
    abstract String name();

    /** Engine and durability settings, for the report. */
    abstract String settings();

    /**
     * Starts a control plane on 127.0.0.1 (a free port) over a new, empty store named {@code label}; it bootstraps
     * the admin.
     */
    final ControlPlane startControlPlane(String label, ControlPlaneConfig config) throws InterruptedException {
        return ControlPlane.start(new ControlPlane.Options(workDir.resolve(label), "127.0.0.1", 0,
                storeOption(label), config), Clock.systemUTC());
    }

    /** The control plane's {@code --store} value for the store named {@code label}. */
    protected abstract String storeOption(String label);

    /** A new connection to the baseline's database, where {@link #RAW_TABLE} exists and is empty. */
    abstract Connection rawConnection() throws SQLException;

    /** Creates the baseline's table (dropping an earlier one). */
    abstract void resetRawTable() throws SQLException;

    /** The bytes the control plane's store named {@code label} takes on disk, when this store can tell. */
    abstract OptionalLong controlPlaneStoreBytes(String label);

    /**
     * The bytes the closed store named {@code label} takes once compacted to its live data, when this store has
     * such a thing (H2: {@code SHUTDOWN COMPACT}); empty otherwise.
     */
    OptionalLong compactedStoreBytes(String label) {
        return OptionalLong.empty();
    }

    @Override
    public void close() {
        deleteRecursively(workDir);
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }

    static StoreUnderTest h2() throws IOException {
        return new H2(Files.createTempDirectory("trellis-bench-h2-"));
    }

    static StoreUnderTest postgres(String jdbcUrl) throws IOException, SQLException {
        return new Postgres(Files.createTempDirectory("trellis-bench-pg-"), jdbcUrl);
    }

    /** The embedded default: an H2 file in the data directory, as {@code trellis server} runs it. */
    private static final class H2 extends StoreUnderTest {
        /** The baseline database's URL: the settings {@code H2Store.open} uses, on a file of its own. */
        private final String rawUrl;

        H2(Path workDir) {
            super(workDir);
            this.rawUrl = "jdbc:h2:file:" + workDir.toAbsolutePath().resolve("raw-commits")
                    + ";WRITE_DELAY=0;LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE";
        }

        @Override
        String name() {
            return "H2";
        }

        @Override
        String settings() {
            return "H2 " + org.h2.engine.Constants.FULL_VERSION + ", embedded file in " + workDir
                    + ", WRITE_DELAY=0 (each commit written to the file before it returns)";
        }

        @Override
        protected String storeOption(String label) {
            return "h2";
        }

        @Override
        Connection rawConnection() throws SQLException {
            return DriverManager.getConnection(rawUrl, "bench", "");
        }

        @Override
        void resetRawTable() throws SQLException {
            try (Connection c = rawConnection(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS raw_commit");
                s.execute(RAW_TABLE);
            }
        }

        @Override
        OptionalLong controlPlaneStoreBytes(String label) {
            Path file = workDir.resolve(label).resolve("trellis.mv.db");
            try {
                return Files.exists(file) ? OptionalLong.of(Files.size(file)) : OptionalLong.empty();
            } catch (IOException e) {
                return OptionalLong.empty();
            }
        }

        /** Opens the closed store's file as {@code H2Store} does (user {@code trellis}) and compacts it. */
        @Override
        OptionalLong compactedStoreBytes(String label) {
            String url = "jdbc:h2:file:" + workDir.toAbsolutePath().resolve(label).resolve("trellis");
            try (Connection c = DriverManager.getConnection(url, "trellis", ""); Statement s = c.createStatement()) {
                s.execute("SHUTDOWN COMPACT");
            } catch (SQLException e) {
                System.err.println("control-plane-load: cannot compact the H2 store: " + e.getMessage());
                return OptionalLong.empty();
            }
            return controlPlaneStoreBytes(label);
        }

        @Override
        public void close() {
            // The baseline's database stays open in this JVM (DB_CLOSE_ON_EXIT=FALSE) until told to shut down.
            try (Connection c = rawConnection(); Statement s = c.createStatement()) {
                s.execute("SHUTDOWN");
            } catch (SQLException e) {
                System.err.println("control-plane-load: cannot shut the H2 baseline database down: "
                        + e.getMessage());
            }
            super.close();
        }
    }

    /**
     * PostgreSQL at a loopback JDBC URL: each control-plane store and the baseline in a fresh schema of that
     * database ({@code trellis_bench_<run>_<label>}, dropped on {@link #close}).
     */
    private static final class Postgres extends StoreUnderTest {
        private final String url;
        private final String prefix;
        private final String rawSchema;
        private final String settings;
        private final List<String> schemas = new ArrayList<>();

        Postgres(Path workDir, String url) throws SQLException {
            super(workDir);
            this.url = url;
            this.prefix = "trellis_bench_"
                    + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 8) + "_";
            this.rawSchema = createSchema("raw");
            List<String> facts = new ArrayList<>();
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                facts.add(single(s, "SHOW server_version"));
                for (String setting : List.of("fsync", "synchronous_commit", "wal_sync_method", "shared_buffers")) {
                    facts.add(setting + "=" + single(s, "SHOW " + setting));
                }
            }
            this.settings = "PostgreSQL " + String.join(", ", facts) + ", on the same database; schemas "
                    + prefix + "*, dropped afterwards";
        }

        private String schema(String label) {
            return prefix + label.replace('-', '_');
        }

        private String createSchema(String label) throws SQLException {
            String schema = schema(label);
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + schema);
            }
            schemas.add(schema);
            return schema;
        }

        private static String single(Statement s, String sql) throws SQLException {
            try (ResultSet rs = s.executeQuery(sql)) {
                rs.next();
                return rs.getString(1);
            }
        }

        private String inSchema(String schema) {
            return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        }

        @Override
        String name() {
            return "PostgreSQL";
        }

        @Override
        String settings() {
            return settings;
        }

        @Override
        protected String storeOption(String label) {
            try {
                return inSchema(createSchema(label));
            } catch (SQLException e) {
                throw new IllegalStateException("cannot create the schema " + schema(label) + ": " + e.getMessage(), e);
            }
        }

        @Override
        Connection rawConnection() throws SQLException {
            return DriverManager.getConnection(inSchema(rawSchema));
        }

        @Override
        void resetRawTable() throws SQLException {
            try (Connection c = rawConnection(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS raw_commit");
                s.execute(RAW_TABLE);
            }
        }

        @Override
        OptionalLong controlPlaneStoreBytes(String label) {
            // Tables with their indexes and TOAST data; the WAL is shared by the whole server and not counted.
            String sql = "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                    + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'r'";
            try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, schema(label));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return OptionalLong.of(rs.getLong(1));
                }
            } catch (SQLException e) {
                return OptionalLong.empty();
            }
        }

        @Override
        public void close() {
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                for (String schema : schemas) {
                    s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                }
            } catch (SQLException e) {
                System.err.println("control-plane-load: cannot drop the schemas " + schemas + ": " + e.getMessage());
            }
            super.close();
        }
    }

    /**
     * Checks that a PostgreSQL JDBC URL names only loopback hosts: the benchmark talks to 127.0.0.1 only.
     *
     * @throws IllegalArgumentException naming the first host that is not loopback
     */
    static void requireLoopback(String jdbcUrl) {
        String prefix = "jdbc:postgresql:";
        if (!jdbcUrl.startsWith(prefix)) {
            throw new IllegalArgumentException("--postgres must be a jdbc:postgresql: URL");
        }
        String rest = jdbcUrl.substring(prefix.length());
        if (!rest.startsWith("//")) {
            return; // jdbc:postgresql:database means localhost
        }
        int end = rest.indexOf('/', 2);
        String hosts = rest.substring(2, end < 0 ? rest.length() : end);
        for (String hostPort : hosts.split(",")) {
            String host = hostPort.startsWith("[")
                    ? hostPort.substring(1, Math.max(1, hostPort.indexOf(']')))
                    : hostPort.contains(":") ? hostPort.substring(0, hostPort.indexOf(':')) : hostPort;
            String h = host.toLowerCase(Locale.ROOT);
            boolean loopback = h.isEmpty() || h.equals("localhost") || h.equals("::1") || h.startsWith("127.");
            if (!loopback) {
                throw new IllegalArgumentException("--postgres must name a loopback host (127.0.0.1, localhost,"
                        + " ::1): the benchmark talks to this machine only, not to '" + host + "'");
            }
        }
    }
}
