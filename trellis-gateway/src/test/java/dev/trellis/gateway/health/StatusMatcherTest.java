package dev.trellis.gateway.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StatusMatcherTest {

    @Test
    void matchesSingleCodesRangesAndLists() {
        StatusMatcher single = StatusMatcher.parse("200");
        StatusMatcher range = StatusMatcher.parse("200-299");
        StatusMatcher mixed = StatusMatcher.parse("200,202, 300-302");

        assertThat(single.matches(200)).isTrue();
        assertThat(single.matches(201)).isFalse();
        assertThat(range.matches(200)).isTrue();
        assertThat(range.matches(299)).isTrue();
        assertThat(range.matches(300)).isFalse();
        assertThat(range.matches(199)).isFalse();
        assertThat(mixed.matches(202)).isTrue();
        assertThat(mixed.matches(201)).isFalse();
        assertThat(mixed.matches(301)).isTrue();
        assertThat(mixed.matches(303)).isFalse();
        assertThat(mixed.matches(-1)).isFalse();
        assertThat(mixed.matches(1000)).isFalse();
    }

    @Test
    void refusesWhatIsNotAListOfCodesAndRangesWithAClearMessage() {
        assertThatThrownBy(() -> StatusMatcher.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> StatusMatcher.parse("200-")).hasMessageContaining("'200-'")
                .hasMessageContaining("HTTP status code");
        assertThatThrownBy(() -> StatusMatcher.parse("200,,201")).hasMessageContaining("''");
        assertThatThrownBy(() -> StatusMatcher.parse("2OO")).hasMessageContaining("'2OO'");
        assertThatThrownBy(() -> StatusMatcher.parse("99")).hasMessageContaining("99");
        assertThatThrownBy(() -> StatusMatcher.parse("600")).hasMessageContaining("600");
        assertThatThrownBy(() -> StatusMatcher.parse("299-200")).hasMessageContaining("end is below its start");
    }
}
