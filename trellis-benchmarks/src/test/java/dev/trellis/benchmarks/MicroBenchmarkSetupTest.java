package dev.trellis.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.auth.sigv4.SigV4Outcome;
import org.junit.jupiter.api.Test;

/**
 * The JMH benchmarks whose set-up checks what they measure: run once here, so that a change that breaks the
 * measured path (a request that no longer verifies, codecs that no longer write the same head) fails the build
 * instead of a benchmark run.
 */
class MicroBenchmarkSetupTest {

    @Test
    void everySigV4RequestVerifiesAndTheFloorIsAnHmac() throws Exception {
        SigV4VerifyBenchmark benchmark = new SigV4VerifyBenchmark();
        benchmark.setUp();

        assertThat(benchmark.verifyLongTermKeyRequest()).isInstanceOf(SigV4Outcome.Authenticated.class);
        assertThat(benchmark.verifyWithDerivedKey()).isInstanceOf(SigV4Outcome.Authenticated.class);
        assertThat(benchmark.verifyWithSecretAndWarmCache()).isInstanceOf(SigV4Outcome.Authenticated.class);
        assertThat(benchmark.baselineHashAndHmacOnly()).hasSize(32);
    }

    @Test
    void bothTargetCodecsWriteTheSameHeadAndReadTheResponseWhole() {
        TargetCodecBenchmark benchmark = new TargetCodecBenchmark();
        benchmark.setUp(); // throws when the two heads differ
        try {
            int netty = benchmark.nettyClientCodec();
            assertThat(benchmark.http1TargetCodec()).isEqualTo(netty);
            // the head's bytes plus the response's two messages (its head and its end)
            assertThat(netty).isGreaterThan(600);
        } finally {
            benchmark.tearDown();
        }
    }
}
