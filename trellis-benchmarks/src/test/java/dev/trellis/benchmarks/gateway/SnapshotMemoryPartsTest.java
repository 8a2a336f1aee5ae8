package dev.trellis.benchmarks.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.benchmarks.wrk.ProcessCpu;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The parts of {@code ./bench snapshot-memory} that decide its figures: the paced client, the probe of the gateway's
 * loop and the CPU by thread.
 */
class SnapshotMemoryPartsTest {

    @Test
    void aPacedClientSendsAtTheRateAskedWhateverTheServerCouldTake() throws Exception {
        try (BenchBackend backend = BenchBackend.start("127.0.0.1", 0)) {
            SteadyClient.Window closed = new SteadyClient.Window("closed loop");
            SteadyClient client = SteadyClient.start(backend.port(), "backend", 4, closed);
            try {
                Thread.sleep(500);
                // Pacing first, then the window: the other way round, the closed loop went on sending into the
                // paced window until pace() took effect (a verify on a busy machine counted 518 requests/s).
                client.pace(400);
                SteadyClient.Window paced = new SteadyClient.Window("paced");
                client.switchTo(paced);
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

    @Test
    void theMachineProbeReportsHowLongItsProcessWasStopped() throws Exception {
        MachineProbe machine = MachineProbe.start();
        // chrt -f needs root: CI runs as root.
        Assumptions.assumeTrue(machine != null, "no real-time priority here (not root)");
        try {
            Thread.sleep(500);
            long quietFrom = System.nanoTime();
            Thread.sleep(300);
            long stoppedFrom = System.nanoTime();
            signal("STOP", machine.pid());
            Thread.sleep(50);
            signal("CONT", machine.pid());
            Thread.sleep(300);
            long stoppedTo = System.nanoTime();

            long stopped = machine.longestLateNanos(stoppedFrom, stoppedTo);
            assertThat(stopped).isBetween(40_000_000L, 1_000_000_000L);
            assertThat(machine.longestLateNanos(quietFrom, stoppedFrom - 1)).isLessThan(stopped);
        } finally {
            machine.close();
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor()).isZero();
    }

    @Test
    void theLoopProbeSeesHowLongTheLoopWasStoppedAndNothingWhenItWasNot() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            EventLoop loop = group.next();
            LoopProbe.Window idle = new LoopProbe.Window("idle");
            LoopProbe probe = LoopProbe.start(loop, idle);
            Thread.sleep(300);
            LoopProbe.Window blocked = new LoopProbe.Window("blocked");
            probe.switchTo(blocked);
            // work that holds the loop for 40 ms, as a pause of the gateway's loop would
            loop.execute(() -> {
                long end = System.nanoTime() + 40_000_000L;
                while (System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
            });
            Thread.sleep(300);
            probe.switchTo(new LoopProbe.Window("after"));
            probe.close();

            // a tick a millisecond, give or take the machine: an idle loop runs them nearly on time
            assertThat(idle.ticks()).isBetween(100L, 310L);
            assertThat(blocked.maxDelayMillis()).isBetween(30.0, 300.0);
            assertThat(blocked.over10Millis()).isGreaterThanOrEqualTo(1);
            assertThat(blocked.maxDelayMillis()).isGreaterThan(idle.maxDelayMillis());
            if (java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/thread-self/schedstat"))) {
                // The loop's thread spun for those 40 ms, never asleep: running, or waiting for a CPU when the
                // machine had none free.
                assertThat(blocked.longestRunMillis()).isPositive();
                assertThat(blocked.longestWaitMillis()).isNotNegative();
                assertThat(blocked.longestRunMillis() + blocked.longestWaitMillis()).isBetween(30.0, 300.0);
            } else {
                assertThat(blocked.longestRunMillis()).isNegative();
            }
        } finally {
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }
}
