package dev.trellis.examples;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where the datastore keeps its tables: PostgreSQL when {@code POSTGRES_HOST} is set (the variables of the
 * walkthrough's {@code datastore.yaml}), else an embedded H2 database — in memory, or in a file when {@code h2File}
 * is given (then several processes can share it, as v1 and v2 share PostgreSQL in the walkthrough).
 *
 * @param postgresHost null for the embedded database
 * @param tablePrefix prepended verbatim to the table name ({@code POSTGRES_TABLEPREFIX}); letters, digits and '_'
 * @param h2File the embedded database's file (without H2's {@code .mv.db} suffix), or null to keep it in memory
 */
public record DatabaseSettings(String postgresHost, int postgresPort, String user, String password, String database,
        String tablePrefix, Path h2File) {

    private static final Pattern PREFIX = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,29}|");

    public DatabaseSettings {
        tablePrefix = tablePrefix == null ? "" : tablePrefix;
        if (!PREFIX.matcher(tablePrefix).matches()) {
            throw new IllegalArgumentException("POSTGRES_TABLEPREFIX must be up to 30 letters, digits and '_'"
                    + " (not starting with a digit), not '" + tablePrefix + "'");
        }
        if (postgresHost != null && postgresHost.isBlank()) {
            postgresHost = null;
        }
        if (postgresHost != null && (postgresPort < 1 || postgresPort > 65535)) {
            throw new IllegalArgumentException("POSTGRES_PORT must be 1-65535, not " + postgresPort);
        }
    }

    /** The embedded database, in memory. */
    public static DatabaseSettings embedded(String tablePrefix) {
        return new DatabaseSettings(null, 0, null, null, null, tablePrefix, null);
    }

    /** Reads {@code POSTGRES_HOST/PORT/USER/PASSWORD/DATABASE/TABLEPREFIX}; port 5432 and database postgres by default. */
    public static DatabaseSettings fromEnvironment(Map<String, String> env, Path h2File) {
        String port = env.getOrDefault("POSTGRES_PORT", "5432").trim();
        int parsedPort;
        try {
            parsedPort = Integer.parseInt(port.isEmpty() ? "5432" : port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("POSTGRES_PORT must be a number, not '" + port + "'");
        }
        return new DatabaseSettings(env.get("POSTGRES_HOST"), parsedPort, env.get("POSTGRES_USER"),
                env.get("POSTGRES_PASSWORD"), env.getOrDefault("POSTGRES_DATABASE", "postgres"),
                env.get("POSTGRES_TABLEPREFIX"), h2File);
    }

    boolean postgres() {
        return postgresHost != null;
    }

    String jdbcUrl() {
        if (postgres()) {
            String host = postgresHost.contains(":") ? "[" + postgresHost + "]" : postgresHost;
            return "jdbc:postgresql://" + host + ":" + postgresPort + "/" + database;
        }
        if (h2File != null) {
            // AUTO_SERVER lets a second process (datastore v2) open the file the first one holds.
            return "jdbc:h2:file:" + h2File.toAbsolutePath() + ";AUTO_SERVER=TRUE";
        }
        // DB_CLOSE_ON_EXIT=FALSE: the datastore's own SIGTERM hook closes the pool; H2's hook must not race it.
        return "jdbc:h2:mem:trellis-datastore;DB_CLOSE_DELAY=-1;DB_CLOSE_ON_EXIT=FALSE";
    }

    /** For logs: where the data is, never the password. */
    String describe() {
        if (postgres()) {
            return "PostgreSQL " + (user == null ? "" : user + "@") + postgresHost + ":" + postgresPort + "/" + database;
        }
        return h2File == null ? "embedded H2 in memory" : "embedded H2 file " + h2File.toAbsolutePath() + ".mv.db";
    }

    @Override
    public String toString() {
        return describe() + ", table prefix '" + tablePrefix + "'";
    }
}
