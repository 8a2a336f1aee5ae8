package dev.trellis.benchmarks.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LatenciesTest {

    private static Latencies oneTo(int n) {
        // Recorded out of order and across two recorders, as worker threads do.
        Latencies.Recorder odd = new Latencies.Recorder();
        Latencies.Recorder even = new Latencies.Recorder();
        LongStream.rangeClosed(1, n).map(i -> n + 1 - i).forEach(v -> (v % 2 == 0 ? even : odd).record(v));
        return Latencies.of(List.of(odd, even));
    }

    @Test
    void percentilesAreNearestRankValuesThatWereObserved() {
        Latencies hundred = oneTo(100);

        assertThat(hundred.count()).isEqualTo(100);
        assertThat(hundred.percentile(50)).isEqualTo(50);
        assertThat(hundred.percentile(99)).isEqualTo(99);
        assertThat(hundred.percentile(99.5)).isEqualTo(100);
        assertThat(hundred.percentile(0.1)).isEqualTo(1);
        assertThat(hundred.max()).isEqualTo(100);
    }

    @Test
    void aWholeRankIsNotRoundedUpByFloatingPointError() {
        Latencies thousand = oneTo(1000);

        assertThat(thousand.percentile(99)).isEqualTo(990);
        assertThat(thousand.percentile(99.9)).isEqualTo(999);
        assertThat(thousand.percentile(50)).isEqualTo(500);
    }

    @Test
    void theP99OfFewerThanAHundredValuesIsTheirMaximum() {
        Latencies ten = Latencies.of(7, 3, 9, 1, 5, 2, 8, 4, 6, 10);

        assertThat(ten.percentile(99)).isEqualTo(10);
        assertThat(ten.percentile(50)).isEqualTo(5);
    }

    @Test
    void recordersGrowPastTheirFirstArray() {
        Latencies.Recorder r = new Latencies.Recorder();
        for (int i = 0; i < 10_000; i++) {
            r.record(i);
        }

        assertThat(r.size()).isEqualTo(10_000);
        assertThat(Latencies.of(List.of(r)).max()).isEqualTo(9_999);
    }

    @Test
    void anEmptyRunHasNoPercentilesAndPercentilesOutsideTheRangeAreRefused() {
        assertThatThrownBy(() -> Latencies.of().percentile(50)).isInstanceOf(IllegalStateException.class)
                .hasMessage("no latencies were recorded");
        assertThatThrownBy(() -> oneTo(10).percentile(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a percentile is in (0, 100], not 0.0");
        assertThatThrownBy(() -> oneTo(10).percentile(100.5)).isInstanceOf(IllegalArgumentException.class);
    }
}
