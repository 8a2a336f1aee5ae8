package dev.trellis.benchmarks.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadOptionsTest {

    private static final String LOCAL_PG = "jdbc:postgresql://127.0.0.1:5432/trellis_test?user=t&password=t";

    @Test
    void defaultsMeasureH2AloneWithOneAndSixteenClientsAndTwoThousandServices() {
        LoadOptions o = LoadOptions.parse(new String[0], Map.of());

        assertThat(o.stores()).containsExactly("h2");
        assertThat(o.clients()).containsExactly(1, 16);
        assertThat(o.maxClients()).isEqualTo(16);
        assertThat(o.services()).isEqualTo(2000);
        assertThat(o.duration()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void aPostgresUrlFromTheEnvironmentAddsPostgresAndAnOptionOverridesIt() {
        LoadOptions fromEnv = LoadOptions.parse(new String[0], Map.of(LoadOptions.POSTGRES_URL_VARIABLE, LOCAL_PG));
        LoadOptions fromOption = LoadOptions.parse(new String[] {"--postgres=jdbc:postgresql://localhost/other"},
                Map.of(LoadOptions.POSTGRES_URL_VARIABLE, LOCAL_PG));

        assertThat(fromEnv.stores()).containsExactly("h2", "postgres");
        assertThat(fromEnv.postgresUrl()).contains(LOCAL_PG);
        assertThat(fromOption.postgresUrl()).contains("jdbc:postgresql://localhost/other");
    }

    @Test
    void timesTakeMillisecondsSecondsMinutesOrBareSeconds() {
        LoadOptions o = LoadOptions.parse(new String[] {"--warmup", "500ms", "--duration", "2m",
            "--fleet-limit", "90", "--jvm-warmup", "0"}, Map.of());

        assertThat(o.warmup()).isEqualTo(Duration.ofMillis(500));
        assertThat(o.duration()).isEqualTo(Duration.ofMinutes(2));
        assertThat(o.fleetLimit()).isEqualTo(Duration.ofSeconds(90));
        assertThat(o.jvmWarmup()).isZero();
        assertThat(o.budget()).isEqualTo(Duration.ofMinutes(2).plusMillis(500).multipliedBy(4).plusSeconds(90));
    }

    @Test
    void refusesAPostgresServerThatIsNotOnThisMachine() {
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--postgres",
            "jdbc:postgresql://db.example.com:5432/trellis"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--postgres must name a loopback host (127.0.0.1, localhost, ::1): the benchmark talks"
                        + " to this machine only, not to 'db.example.com'");
        assertThatThrownBy(() -> StoreUnderTest.requireLoopback("jdbc:postgresql://127.0.0.1,10.1.2.3:5432/db"))
                .hasMessageEndingWith("not to '10.1.2.3'");
        for (String url : List.of(LOCAL_PG, "jdbc:postgresql://localhost/db", "jdbc:postgresql://[::1]:5433/db",
                "jdbc:postgresql:db")) {
            StoreUnderTest.requireLoopback(url);
        }
    }

    @Test
    void postgresAloneNeedsAUrlAndUnknownOptionsAreNamed() {
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--stores", "postgres"}, Map.of()))
                .hasMessage("--stores postgres needs --postgres URL or $TRELLIS_BENCH_POSTGRES_URL");
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--threads", "4"}, Map.of()))
                .hasMessage("unknown option --threads (--help lists them)");
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--clients", "0,16"}, Map.of()))
                .hasMessage("--clients must list counts from 1 to 256, not [0, 16]");
    }
}
