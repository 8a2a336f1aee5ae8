package dev.trellis.controlplane.store;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * Opens fresh stores for tests: H2 in a temporary directory, and PostgreSQL in a new schema of the database named
 * by {@code TRELLIS_TEST_POSTGRES_URL} ({@code .ci/run} starts PostgreSQL and sets it). Without that variable the
 * PostgreSQL cases are skipped on a developer's machine, and fail in CI ({@code CI=true}), where they must run.
 */
public final class TestStores {

    public static final String POSTGRES_URL_VARIABLE = "TRELLIS_TEST_POSTGRES_URL";

    private TestStores() {
    }

    /** The kinds of store every store-backed test runs against. */
    public enum Kind {
        H2, POSTGRES;

        public Store open() {
            return this == H2 ? h2() : postgres();
        }
    }

    public static Store h2() {
        try {
            return H2Store.open(Files.createTempDirectory("trellis-h2-test"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static H2Store h2(Path dataDir) {
        return H2Store.open(dataDir);
    }

    /** A PostgreSQL store in a schema of its own. */
    public static Store postgres() {
        return PostgresStore.open(newPostgresSchemaUrl());
    }

    /** The JDBC URL of a new, empty schema of the test database (for tests that open the store themselves). */
    public static String newPostgresSchemaUrl() {
        String url = postgresUrl();
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16)
                .toLowerCase(Locale.ROOT);
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test schema in " + redact(url) + ": " + e.getMessage(),
                    e);
        }
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    /** The test database's URL; skips the test where there is none, except in CI. */
    public static String postgresUrl() {
        String url = System.getenv(POSTGRES_URL_VARIABLE);
        if (url == null || url.isBlank()) {
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(POSTGRES_URL_VARIABLE + " is not set: .ci/run must start PostgreSQL");
            }
            assumeTrue(false, POSTGRES_URL_VARIABLE + " not set: PostgreSQL tests skipped (they run in CI)");
        }
        return url;
    }

    private static String redact(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }
}
