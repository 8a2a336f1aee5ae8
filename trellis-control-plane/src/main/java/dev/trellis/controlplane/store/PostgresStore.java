package dev.trellis.controlplane.store;

import com.zaxxer.hikari.HikariConfig;

/**
 * PostgreSQL, for production and for several control-plane servers over one database. The JDBC URL may carry the
 * user and password ({@code jdbc:postgresql://host/db?user=...&password=...}); they are never logged.
 */
public final class PostgresStore extends JdbcStore {

    private PostgresStore(HikariConfig config, String description) {
        super(config, description);
    }

    public static PostgresStore open(String jdbcUrl) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(16);
        config.setPoolName("trellis-postgres");
        int query = jdbcUrl.indexOf('?');
        return new PostgresStore(config, "PostgreSQL " + (query < 0 ? jdbcUrl : jdbcUrl.substring(0, query)));
    }

    @Override
    protected boolean sharedWithOtherServers() {
        return true;
    }
}
