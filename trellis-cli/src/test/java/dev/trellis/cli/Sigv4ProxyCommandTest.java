package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The proxy's Go-style durations, as aws-sigv4-proxy's flags take them. */
class Sigv4ProxyCommandTest {

    @Test
    void goDurationsParseAsGoParsesThem() {
        assertThat(Sigv4ProxyCommand.goDuration("40s")).isEqualTo(Duration.ofSeconds(40));
        assertThat(Sigv4ProxyCommand.goDuration("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Sigv4ProxyCommand.goDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Sigv4ProxyCommand.goDuration("1.5h")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Sigv4ProxyCommand.goDuration("0")).isEqualTo(Duration.ZERO);
    }

    @Test
    void aNumberWithoutUnitOrAnUnknownUnitIsRefusedNamingTheFlag() {
        for (String bad : new String[] {"40", "40x", "s", "", "1m 30s", "-1s"}) {
            assertThatThrownBy(() -> Sigv4ProxyCommand.goDuration(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--transport.idle-conn-timeout");
        }
    }
}
