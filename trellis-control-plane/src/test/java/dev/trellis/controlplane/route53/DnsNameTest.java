package dev.trellis.controlplane.route53;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DnsNameTest {

    @Test
    void parsesNamesWithOrWithoutTheTrailingDotInAnyCase() throws Exception {
        DnsName name = DnsName.parse("DataStore.Sarathy.IO");

        assertThat(name).isEqualTo(DnsName.parse("datastore.sarathy.io."));
        assertThat(name.labels()).containsExactly("datastore", "sarathy", "io");
        assertThat(name.text()).isEqualTo("datastore.sarathy.io.");
        assertThat(name.apiText()).isEqualTo("datastore.sarathy.io.");
        assertThat(name.sortKey()).isEqualTo("io.sarathy.datastore.");
        assertThat(DnsName.parse(".").isRoot()).isTrue();
    }

    @Test
    void readsOctalEscapesAndWritesWildcardsAsRoute53Does() throws Exception {
        DnsName wildcard = DnsName.parse("\\052.sarathy.io");

        assertThat(wildcard).isEqualTo(DnsName.parse("*.sarathy.io."));
        assertThat(wildcard.isWildcard()).isTrue();
        assertThat(wildcard.apiText()).isEqualTo("\\052.sarathy.io.");
        assertThat(wildcard.text()).isEqualTo("*.sarathy.io.");
        DnsName dotInLabel = DnsName.parse("a\\056b.io");
        assertThat(dotInLabel.labels()).containsExactly("a.b", "io");
        assertThat(dotInLabel.text()).isEqualTo("a\\046b.io.");
        assertThat(dotInLabel.apiText()).isEqualTo("a\\056b.io.");
        assertThat(DnsName.parse("under_score.io").apiText()).isEqualTo("under_score.io.");
    }

    @Test
    void knowsWhichNamesAreInAZone() throws Exception {
        DnsName zone = DnsName.parse("sarathy.io");

        assertThat(DnsName.parse("a.b.sarathy.io").isSameOrBelow(zone)).isTrue();
        assertThat(DnsName.parse("sarathy.io").isSameOrBelow(zone)).isTrue();
        assertThat(DnsName.parse("xsarathy.io").isSameOrBelow(zone)).isFalse();
        assertThat(DnsName.parse("io").isSameOrBelow(zone)).isFalse();
    }

    @Test
    void refusesNamesDnsCannotCarry() {
        assertThatThrownBy(() -> DnsName.parse("a..b")).hasMessageContaining("empty label");
        assertThatThrownBy(() -> DnsName.parse("x".repeat(64) + ".io")).hasMessageContaining("longer than 63");
        assertThatThrownBy(() -> DnsName.parse(("x".repeat(60) + ".").repeat(5))).hasMessageContaining("255 octets");
        assertThatThrownBy(() -> DnsName.parse("a b.io")).hasMessageContaining("octal escape");
        assertThatThrownBy(() -> DnsName.parse("caf\u00e9.io")).hasMessageContaining("punycode");
        assertThatThrownBy(() -> DnsName.parse("a\\9.io")).hasMessageContaining("three octal digits");
        assertThatThrownBy(() -> DnsName.parse("a\\")).hasMessageContaining("three octal digits");
        assertThatThrownBy(() -> DnsName.parse("")).hasMessageContaining("empty");
    }
}
