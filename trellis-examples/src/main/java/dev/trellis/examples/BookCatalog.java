package dev.trellis.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datastore's data: one table of books, {@code <prefix>books}, created and seeded on first start. Seeding is
 * idempotent — rows have fixed ids and are inserted only when missing — and on PostgreSQL it runs under a
 * transaction-scoped advisory lock, so two datastores starting at once against the same database (v1 and v2 in the
 * walkthrough) neither race on {@code CREATE TABLE} nor insert twice.
 */
final class BookCatalog implements AutoCloseable {

    record Book(int id, String title, String author, String genre, int copiesSold, BigDecimal rating) {
    }

    record GenreTotal(String genre, int books, long copiesSold) {
    }

    record Totals(int books, long copiesSold, List<GenreTotal> genres) {
    }

    /** The seed rows. Ids are fixed so that seeding again finds them. */
    static final List<Book> SEED = List.of(
            new Book(1, "The Pragmatic Programmer", "Andrew Hunt, David Thomas", "software", 48200, rating("4.6")),
            new Book(2, "Designing Data-Intensive Applications", "Martin Kleppmann", "software", 61300, rating("4.8")),
            new Book(3, "Site Reliability Engineering", "Betsy Beyer et al.", "operations", 27400, rating("4.4")),
            new Book(4, "The Phoenix Project", "Gene Kim et al.", "operations", 39900, rating("4.5")),
            new Book(5, "Computer Networks", "Andrew S. Tanenbaum", "networking", 22100, rating("4.3")),
            new Book(6, "TCP/IP Illustrated, Volume 1", "W. Richard Stevens", "networking", 18700, rating("4.7")),
            new Book(7, "Kubernetes in Action", "Marko Luksa", "operations", 33800, rating("4.6")),
            new Book(8, "Database Internals", "Alex Petrov", "databases", 15600, rating("4.5")),
            new Book(9, "SQL Performance Explained", "Markus Winand", "databases", 12900, rating("4.4")),
            new Book(10, "Java Concurrency in Practice", "Brian Goetz et al.", "software", 44500, rating("4.7")));

    private static final Logger log = LoggerFactory.getLogger(BookCatalog.class);

    private final DatabaseSettings settings;
    private final HikariDataSource pool;
    private final String table;

    private BookCatalog(DatabaseSettings settings, HikariDataSource pool) {
        this.settings = settings;
        this.pool = pool;
        this.table = settings.tablePrefix() + "books";
    }

    /** Connects, then creates and seeds the table if needed. */
    static BookCatalog open(DatabaseSettings settings) throws SQLException {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(settings.jdbcUrl());
        if (settings.user() != null) {
            config.setUsername(settings.user());
        }
        if (settings.password() != null) {
            config.setPassword(settings.password());
        }
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(5_000);
        config.setPoolName("datastore");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new SQLException("cannot connect to " + settings.describe() + ": " + rootMessage(e), e);
        }
        BookCatalog catalog = new BookCatalog(settings, pool);
        try {
            try {
                catalog.createAndSeed();
            } catch (SQLException e) {
                if (!"23505".equals(e.getSQLState())) {
                    throw e;
                }
                // Another process sharing the embedded H2 file seeded the same row at the same moment: look again.
                catalog.createAndSeed();
            }
        } catch (SQLException | RuntimeException e) {
            pool.close();
            throw e;
        }
        return catalog;
    }

    String table() {
        return table;
    }

    private void createAndSeed() throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            if (settings.postgres()) {
                try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                    lock.setLong(1, ("trellis-datastore:" + table).hashCode());
                    lock.execute();
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS " + table + " (id INTEGER PRIMARY KEY,"
                        + " title VARCHAR(200) NOT NULL, author VARCHAR(200) NOT NULL, genre VARCHAR(50) NOT NULL,"
                        + " copies_sold INTEGER NOT NULL, rating NUMERIC(2,1) NOT NULL)");
            }
            // H2 has no ON CONFLICT outside PostgreSQL mode; its MERGE ... KEY is the same idea.
            String insert = settings.postgres()
                    ? "INSERT INTO " + table + " (id, title, author, genre, copies_sold, rating)"
                            + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
                    : "INSERT INTO " + table + " (id, title, author, genre, copies_sold, rating)"
                            + " SELECT ?, ?, ?, ?, ?, ? FROM DUAL WHERE NOT EXISTS"
                            + " (SELECT 1 FROM " + table + " WHERE id = ?)";
            int inserted = 0;
            try (PreparedStatement p = c.prepareStatement(insert)) {
                for (Book book : SEED) {
                    p.setInt(1, book.id());
                    p.setString(2, book.title());
                    p.setString(3, book.author());
                    p.setString(4, book.genre());
                    p.setInt(5, book.copiesSold());
                    p.setBigDecimal(6, book.rating());
                    if (!settings.postgres()) {
                        p.setInt(7, book.id());
                    }
                    inserted += p.executeUpdate();
                }
            }
            c.commit();
            if (inserted > 0) {
                log.info("seeded {} books into {} ({})", inserted, table, settings.describe());
            } else {
                log.info("table {} already seeded ({})", table, settings.describe());
            }
        }
    }

    /** The best sellers, most copies sold first. */
    List<Book> popular(int limit) throws SQLException {
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement("SELECT id, title, author, genre, copies_sold, rating FROM "
                        + table + " ORDER BY copies_sold DESC, id LIMIT ?")) {
            p.setInt(1, limit);
            List<Book> books = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    books.add(new Book(r.getInt(1), r.getString(2), r.getString(3), r.getString(4), r.getInt(5),
                            r.getBigDecimal(6)));
                }
            }
            return books;
        }
    }

    /** Counts and copies sold, in total and per genre (genres by name). */
    Totals totals() throws SQLException {
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement("SELECT genre, COUNT(*), SUM(copies_sold) FROM " + table
                        + " GROUP BY genre ORDER BY genre")) {
            List<GenreTotal> genres = new ArrayList<>();
            int books = 0;
            long sold = 0;
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    GenreTotal g = new GenreTotal(r.getString(1), r.getInt(2), r.getLong(3));
                    genres.add(g);
                    books += g.books();
                    sold += g.copiesSold();
                }
            }
            return new Totals(books, sold, genres);
        }
    }

    /** Counts the rows (tests use it to check seeding inserted each book once). */
    int count() throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            r.next();
            return r.getInt(1);
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    private static BigDecimal rating(String value) {
        return new BigDecimal(value);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }
}
