package dev.trellis.examples;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Database settings for tests: the embedded H2, and the PostgreSQL named by {@code TRELLIS_TEST_POSTGRES_URL}
 * ({@code jdbc:postgresql://host:port/database?user=...&password=...}, set by {@code .ci/run}) turned into the
 * {@code POSTGRES_*} variables the datastore reads. Without it PostgreSQL cases are skipped, except in CI.
 */
final class TestDatabases {

    private TestDatabases() {
    }

    /** A table prefix no other test uses, so tests sharing a database do not see each other's rows. */
    static String freshPrefix() {
        return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + "_";
    }

    /** The {@code POSTGRES_*} variables for the test database, with {@code tablePrefix}. */
    static Map<String, String> postgresEnvironment(String tablePrefix) {
        String url = System.getenv("TRELLIS_TEST_POSTGRES_URL");
        if (url == null || url.isBlank()) {
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException("TRELLIS_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL");
            }
            assumeTrue(false, "TRELLIS_TEST_POSTGRES_URL not set: PostgreSQL tests skipped (they run in CI)");
        }
        URI uri = URI.create(url.substring("jdbc:".length()));
        Map<String, String> env = new HashMap<>();
        env.put("POSTGRES_HOST", uri.getHost());
        env.put("POSTGRES_PORT", String.valueOf(uri.getPort() < 0 ? 5432 : uri.getPort()));
        env.put("POSTGRES_DATABASE", uri.getPath().substring(1));
        env.put("POSTGRES_TABLEPREFIX", tablePrefix);
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                String[] kv = pair.split("=", 2);
                String value = kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "";
                if (kv[0].equals("user")) {
                    env.put("POSTGRES_USER", value);
                } else if (kv[0].equals("password")) {
                    env.put("POSTGRES_PASSWORD", value);
                }
            }
        }
        return env;
    }

    /** Drops the test's table from the test database. */
    static void dropPostgresTable(String tablePrefix) throws Exception {
        try (Connection c = DriverManager.getConnection(System.getenv("TRELLIS_TEST_POSTGRES_URL"));
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + tablePrefix + "books");
        }
    }
}
