package dev.trellis.controlplane.store;

import com.zaxxer.hikari.HikariConfig;
import java.nio.file.Path;

/**
 * The embedded default: an H2 database file {@code trellis.mv.db} in the data directory. Commits are written to the
 * file before they are acknowledged ({@code WRITE_DELAY=0}), so a killed server loses no acknowledged write.
 */
public final class H2Store extends JdbcStore {

    private H2Store(HikariConfig config, String description) {
        super(config, description);
    }

    /** Opens (creating when missing) the store in {@code dataDir}. */
    public static H2Store open(Path dataDir) {
        Path file = dataDir.toAbsolutePath().resolve("trellis");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:h2:file:" + file + ";WRITE_DELAY=0;LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE");
        config.setUsername("trellis");
        config.setPassword("");
        config.setMaximumPoolSize(8);
        config.setPoolName("trellis-h2");
        return new H2Store(config, "H2 file " + file + ".mv.db");
    }
}
