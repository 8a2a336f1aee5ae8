package dev.trellis.controlplane.acm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DomainNamesTest {

    @Test
    void anExactNameCoversItselfIgnoringCaseAndATrailingDot() {
        assertThat(DomainNames.covers("datastore.sarathy.io", "datastore.sarathy.io")).isTrue();
        assertThat(DomainNames.covers("Datastore.Sarathy.IO", "datastore.sarathy.io.")).isTrue();
        assertThat(DomainNames.covers("datastore.sarathy.io", "frontend.sarathy.io")).isFalse();
        assertThat(DomainNames.covers("sarathy.io", "datastore.sarathy.io")).isFalse();
    }

    @Test
    void aWildcardCoversExactlyOneLeftmostLabel() {
        assertThat(DomainNames.covers("*.sarathy.io", "datastore.sarathy.io")).isTrue();
        assertThat(DomainNames.covers("*.example.com", "parking.example.com")).isTrue();
        assertThat(DomainNames.covers("*.example.com", "a.b.example.com")).isFalse();
        assertThat(DomainNames.covers("*.example.com", "example.com")).isFalse();
        assertThat(DomainNames.covers("*.example.com", "datastore.sarathy.io")).isFalse();
        assertThat(DomainNames.covers("*.*.example.com", "a.b.example.com")).isFalse();
        assertThat(DomainNames.covers("data*.sarathy.io", "datastore.sarathy.io")).isFalse();
    }

    @Test
    void anyOfTheNamesMayCover() {
        assertThat(DomainNames.anyCovers(List.of("www.sarathy.io", "*.sarathy.io"), "datastore.sarathy.io")).isTrue();
        assertThat(DomainNames.anyCovers(List.of(), "datastore.sarathy.io")).isFalse();
    }
}
