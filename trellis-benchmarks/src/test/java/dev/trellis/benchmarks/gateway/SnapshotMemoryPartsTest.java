package dev.trellis.benchmarks.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.benchmarks.wrk.ProcessCpu;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parts of {@code ./bench snapshot-memory} that decide its figures: the paced client and the CPU by thread. */
class SnapshotMemoryPartsTest {

    @Test
    void aPacedClientSendsAtTheRateAskedWhateverTheServerCouldTake() throws Exception {
        try (BenchBackend backend = BenchBackend.start("127.0.0.1", 0)) {
            SteadyClient.Window closed = new SteadyClient.Window("closed loop");
            SteadyClient client = SteadyClient.start(backend.port(), "backend", 4, closed);
            try {
                Thread.sleep(500);
                SteadyClient.Window paced = new SteadyClient.Window("paced");
                client.switchTo(paced);
                client.pace(400);
                Thread.sleep(2_000);
                client.stop();
                // The closed loop goes as fast as the backend answers, far above the paced rate here.
                assertThat(closed.count() / closed.seconds()).isGreaterThan(1_000);
                // Due-time sending: a late request is sent at once, so the count follows the schedule even on a
                // busy machine; the window's first request was already in flight when pacing began.
                assertThat(paced.count() / paced.seconds()).isBetween(300.0, 500.0);
                assertThat(paced.failures()).isZero();
                assertThat(paced.percentileMillis(0.5)).isGreaterThan(0);
            } finally {
                client.close();
            }
        }
    }

    @Test
    void cpuIsCountedPerKindOfThreadWithoutTheNumbersOfItsName() throws Exception {
        Thread running = new Thread(() -> {
            long end = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
                Thread.onSpinWait();
            }
        }, "spinner#3");
        running.start();
        try {
            Thread.sleep(500);
            Map<String, Double> byKind = ProcessCpu.secondsByThreadKind(ProcessHandle.current().pid());
            assertThat(byKind).containsKey("spinner").doesNotContainKey("spinner#3");
            assertThat(byKind.get("spinner")).isGreaterThan(0.1);
        } finally {
            running.interrupt();
            running.join();
        }
    }
}
