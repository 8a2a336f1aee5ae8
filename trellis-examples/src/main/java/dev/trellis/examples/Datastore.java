package dev.trellis.examples;

import java.io.IOException;
import java.net.InetAddress;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The walkthrough's datastore service: {@code GET /popular} (the best-selling books), {@code GET /summary} (totals)
 * and {@code GET /live}. Every answer names the serving {@code version} and {@code host}, and carries the header
 * {@code x-datastore-version}, so a caller behind a weighted route can tell which version served it. v1 and v2 read
 * the same table; v2 shapes its answers differently (ratings and genres, items wrapped with a count).
 *
 * <p>Start it with {@link #start(Settings)}; {@link #close()} stops it gracefully.
 */
public final class Datastore implements AutoCloseable {

    /** How to run a datastore. {@code version} is {@code v1} or {@code v2}; port 0 picks a free port. */
    public record Settings(String host, int port, String version, String hostName, DatabaseSettings database) {
        public Settings {
            if (!"v1".equals(version) && !"v2".equals(version)) {
                throw new IllegalArgumentException("the version must be v1 or v2, not '" + version + "'");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("the port must be 0-65535, not " + port);
            }
            hostName = hostName == null || hostName.isBlank() ? localHostName() : hostName;
        }
    }

    static final int POPULAR_COUNT = 5;
    private static final Logger log = LoggerFactory.getLogger(Datastore.class);

    private final Settings settings;
    private final BookCatalog catalog;
    private final AppServer server;

    private Datastore(Settings settings, BookCatalog catalog) throws IOException {
        this.settings = settings;
        this.catalog = catalog;
        // The routes only read settings and catalog, which are set before the server accepts anything.
        this.server = AppServer.start("datastore", settings.host(), settings.port(), Map.of(
                "/popular", exchange -> popular(),
                "/summary", exchange -> summary(),
                "/live", exchange -> AppServer.Response.ok(Map.of("status", "live", "version", settings.version()))));
    }

    /** Opens the database (creating and seeding the table if needed), then starts serving. */
    public static Datastore start(Settings settings) throws IOException, SQLException {
        BookCatalog catalog = BookCatalog.open(settings.database());
        Datastore datastore;
        try {
            datastore = new Datastore(settings, catalog);
        } catch (IOException | RuntimeException e) {
            catalog.close();
            throw e;
        }
        log.info("datastore {} on {}:{} ({}), host name {}", settings.version(), settings.host(), datastore.port(),
                settings.database(), settings.hostName());
        return datastore;
    }

    /** The port it listens on (the chosen one when started with port 0). */
    public int port() {
        return server.port();
    }

    public String version() {
        return settings.version();
    }

    private AppServer.Response popular() throws SQLException {
        List<BookCatalog.Book> books = catalog.popular(POPULAR_COUNT);
        Map<String, Object> body = header();
        if ("v1".equals(settings.version())) {
            body.put("popular", books.stream().map(b -> ordered("title", b.title(), "author", b.author(),
                    "copiesSold", b.copiesSold())).toList());
        } else {
            body.put("popular", ordered("count", books.size(), "items", books.stream().map(b -> ordered(
                    "title", b.title(), "author", b.author(), "genre", b.genre(), "copiesSold", b.copiesSold(),
                    "rating", b.rating())).toList()));
        }
        return answer(body);
    }

    private AppServer.Response summary() throws SQLException {
        BookCatalog.Totals totals = catalog.totals();
        Map<String, Object> body = header();
        if ("v1".equals(settings.version())) {
            body.put("summary", ordered("books", totals.books(), "copiesSold", totals.copiesSold()));
        } else {
            body.put("summary", ordered("books", totals.books(), "copiesSold", totals.copiesSold(),
                    "genres", totals.genres().stream().map(g -> ordered("genre", g.genre(), "books", g.books(),
                            "copiesSold", g.copiesSold())).toList()));
        }
        return answer(body);
    }

    private Map<String, Object> header() {
        return ordered("service", "datastore", "version", settings.version(), "host", settings.hostName());
    }

    private AppServer.Response answer(Map<String, Object> body) {
        return new AppServer.Response(200, body, Map.of("x-datastore-version", settings.version()));
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    /** {@code HOSTNAME} (a pod's name in Kubernetes), else what the machine calls itself. */
    static String localHostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** Stops serving (requests in flight finish), then closes the database pool. */
    @Override
    public void close() {
        server.close();
        catalog.close();
        log.info("datastore {} stopped", settings.version());
    }
}
