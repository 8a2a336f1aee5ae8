package dev.trellis.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Thread priorities are the kernel's nice values, set for the threads named and no others. */
class ThreadPrioritiesTest {

    @Test
    void lowersOnlyTheCallingThread() throws Exception {
        int before = ThreadPriorities.currentNice();
        // a test JVM already started below that priority cannot be "lowered" to it without privilege
        assumeThat(before).isLessThanOrEqualTo(ThreadPriorities.DEFAULT_BULK_NICE);
        int[] seen = new int[2];
        CompletableFuture<Boolean> applied = new CompletableFuture<>();
        Thread worker = new Thread(() -> {
            try {
                seen[0] = ThreadPriorities.currentNice();
                applied.complete(ThreadPriorities.lowerCurrentThread());
                seen[1] = ThreadPriorities.currentNice();
            } catch (Exception e) {
                applied.completeExceptionally(e);
            }
        });
        worker.start();
        worker.join();

        assertThat(applied.get()).isTrue();
        assertThat(seen[0]).isEqualTo(before);
        assertThat(seen[1]).isEqualTo(ThreadPriorities.DEFAULT_BULK_NICE);
        assertThat(ThreadPriorities.currentNice()).isEqualTo(before);
    }

    /** Root may raise a thread above nice 0 (CI runs as root); without that privilege it is refused. */
    @Test
    void raisesEveryEventLoopOfTheGroupAndNothingElseWhereAllowed() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        int before = ThreadPriorities.currentNice();
        EventLoopGroup loops = new DefaultEventLoopGroup(2);
        try {
            boolean applied = ThreadPriorities.raiseEventLoops(loops, -5);

            List<Integer> nice = new ArrayList<>();
            for (EventExecutor loop : loops) {
                nice.add(loop.submit(ThreadPriorities::currentNice).get());
            }
            if (root) {
                assertThat(applied).isTrue();
                assertThat(nice).containsExactly(-5, -5);
            } else {
                // refused unless this user holds CAP_SYS_NICE or a nice limit; either way it says what it did
                int expected = applied ? -5 : before;
                assertThat(nice).containsExactly(expected, expected);
            }
            assertThat(ThreadPriorities.currentNice()).isEqualTo(before);
            // off by default: the loops stay where they are
            assertThat(ThreadPriorities.raiseEventLoops(loops, 0)).isFalse();
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
