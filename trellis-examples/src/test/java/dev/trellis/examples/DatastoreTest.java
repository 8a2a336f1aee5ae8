package dev.trellis.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatastoreTest {

    @Test
    void v1AnswersPopularAndSummaryWithItsVersionAndHostOnTheEmbeddedDatabase() throws Exception {
        try (Datastore v1 = start("v1", DatabaseSettings.embedded(TestDatabases.freshPrefix()))) {
            Http.Answer popular = Http.get(v1.port(), "/popular");
            assertThat(popular.status()).isEqualTo(200);
            assertThat(popular.json().path("version").asText()).isEqualTo("v1");
            assertThat(popular.json().path("host").asText()).isEqualTo("datastore-host-v1");
            assertThat(popular.response().headers().firstValue("x-datastore-version")).contains("v1");
            JsonNode books = popular.json().path("popular");
            assertThat(books).hasSize(Datastore.POPULAR_COUNT);
            assertThat(books.get(0).path("title").asText()).isEqualTo("Designing Data-Intensive Applications");
            assertThat(books.get(0).path("copiesSold").asInt()).isEqualTo(61300);
            assertThat(books.get(1).path("copiesSold").asInt()).isLessThan(61300);

            Http.Answer summary = Http.get(v1.port(), "/summary");
            assertThat(summary.status()).isEqualTo(200);
            assertThat(summary.json().path("version").asText()).isEqualTo("v1");
            assertThat(summary.json().path("summary").path("books").asInt()).isEqualTo(BookCatalog.SEED.size());
            assertThat(summary.json().path("summary").path("copiesSold").asLong())
                    .isEqualTo(BookCatalog.SEED.stream().mapToLong(BookCatalog.Book::copiesSold).sum());
            assertThat(summary.json().path("summary").has("genres")).isFalse();

            Http.Answer live = Http.get(v1.port(), "/live");
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.json().path("status").asText()).isEqualTo("live");
        }
    }

    @Test
    void v2ShapesItsAnswersDifferentlyFromTheSameData() throws Exception {
        try (Datastore v2 = start("v2", DatabaseSettings.embedded(TestDatabases.freshPrefix()))) {
            JsonNode popular = Http.get(v2.port(), "/popular").json();
            assertThat(popular.path("version").asText()).isEqualTo("v2");
            assertThat(popular.path("popular").path("count").asInt()).isEqualTo(Datastore.POPULAR_COUNT);
            assertThat(popular.path("popular").path("items").get(0).path("rating").decimalValue())
                    .isEqualByComparingTo("4.8");

            JsonNode summary = Http.get(v2.port(), "/summary").json();
            assertThat(summary.path("version").asText()).isEqualTo("v2");
            assertThat(summary.path("summary").path("genres")).extracting(g -> g.path("genre").asText())
                    .containsExactly("databases", "networking", "operations", "software");
            assertThat(summary.path("summary").path("genres").get(3).path("books").asInt()).isEqualTo(3);
        }
    }

    @Test
    void unknownPathsAre404AndOtherMethodsAre405() throws Exception {
        try (Datastore v1 = start("v1", DatabaseSettings.embedded(TestDatabases.freshPrefix()))) {
            Http.Answer missing = Http.get(v1.port(), "/nothing");
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.json().path("error").asText()).isEqualTo("no route for /nothing");
        }
    }

    @Test
    void seedsOnceAcrossRestartsAndTwoVersionsSharingAnEmbeddedDatabaseFile(@TempDir Path dir) throws Exception {
        DatabaseSettings shared = new DatabaseSettings(null, 0, null, null, null, "", dir.resolve("datastore"));
        seedsOnceAcrossRestartsAndTwoVersions(shared);
        assertThat(Files.exists(dir.resolve("datastore.mv.db"))).isTrue();
    }

    @Test
    void seedsOnceAcrossRestartsAndTwoVersionsSharingPostgres() throws Exception {
        String prefix = TestDatabases.freshPrefix();
        Map<String, String> env = TestDatabases.postgresEnvironment(prefix);
        DatabaseSettings shared = DatabaseSettings.fromEnvironment(env, null);
        assertThat(shared.postgres()).isTrue();
        try {
            seedsOnceAcrossRestartsAndTwoVersions(shared);
        } finally {
            TestDatabases.dropPostgresTable(prefix);
        }
    }

    /** v1 and v2 start at the same moment on one database, then both restart: each book is there exactly once. */
    private static void seedsOnceAcrossRestartsAndTwoVersions(DatabaseSettings shared) throws Exception {
        for (int round = 0; round < 2; round++) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Datastore> running = new ArrayList<>();
            try {
                CompletableFuture<Datastore> v1 = CompletableFuture.supplyAsync(() -> startUnchecked("v1", shared),
                        pool);
                CompletableFuture<Datastore> v2 = CompletableFuture.supplyAsync(() -> startUnchecked("v2", shared),
                        pool);
                running.add(v1.join());
                running.add(v2.join());
                for (Datastore datastore : running) {
                    JsonNode summary = Http.get(datastore.port(), "/summary").json();
                    assertThat(summary.path("version").asText()).isEqualTo(datastore.version());
                    assertThat(summary.path("summary").path("books").asInt())
                            .as("round %d, %s", round, datastore.version()).isEqualTo(BookCatalog.SEED.size());
                }
                try (BookCatalog catalog = BookCatalog.open(shared)) {
                    assertThat(catalog.count()).isEqualTo(BookCatalog.SEED.size());
                }
            } finally {
                running.forEach(Datastore::close);
                pool.shutdown();
            }
        }
    }

    @Test
    void readsThePostgresVariablesOfTheManifest() {
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(Map.of("POSTGRES_HOST", "db.example.com",
                "POSTGRES_PORT", "6543", "POSTGRES_USER", "app", "POSTGRES_PASSWORD", "s3cret",
                "POSTGRES_DATABASE", "shop", "POSTGRES_TABLEPREFIX", "lattice_"), null);
        assertThat(settings.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example.com:6543/shop");
        assertThat(settings.toString()).isEqualTo("PostgreSQL app@db.example.com:6543/shop, table prefix 'lattice_'")
                .doesNotContain("s3cret");
        assertThat(DatabaseSettings.fromEnvironment(Map.of(), null).describe()).isEqualTo("embedded H2 in memory");
    }

    @Test
    void rejectsAVersionOtherThanV1OrV2AndATablePrefixThatIsNotAnIdentifier() {
        assertThatThrownBy(() -> new Datastore.Settings("127.0.0.1", 0, "v3", "h", DatabaseSettings.embedded("")))
                .hasMessage("the version must be v1 or v2, not 'v3'");
        assertThatThrownBy(() -> DatabaseSettings.embedded("x; DROP TABLE y"))
                .hasMessage("POSTGRES_TABLEPREFIX must be up to 30 letters, digits and '_' (not starting with a"
                        + " digit), not 'x; DROP TABLE y'");
    }

    @Test
    void failsToStartWithAMessageNamingTheDatabaseWhenPostgresIsUnreachable() {
        DatabaseSettings nowhere = new DatabaseSettings("127.0.0.1", 1, "app", "s3cret", "shop", "", null);
        assertThatThrownBy(() -> start("v1", nowhere))
                .hasMessageStartingWith("cannot connect to PostgreSQL app@127.0.0.1:1/shop: ")
                .hasMessageNotContaining("s3cret");
    }

    static Datastore start(String version, DatabaseSettings database) throws Exception {
        return Datastore.start(new Datastore.Settings("127.0.0.1", 0, version, "datastore-host-" + version,
                database));
    }

    private static Datastore startUnchecked(String version, DatabaseSettings database) {
        try {
            return start(version, database);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
