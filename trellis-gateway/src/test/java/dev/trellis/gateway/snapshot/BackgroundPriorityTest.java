package dev.trellis.gateway.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The snapshot thread's lower priority is the kernel's, and for that thread only. */
class BackgroundPriorityTest {

    @Test
    void lowersOnlyTheCallingThread() throws Exception {
        int before = BackgroundPriority.currentNice();
        // a test JVM already started below that priority cannot be "lowered" to it without privilege
        assumeThat(before).isLessThanOrEqualTo(BackgroundPriority.DEFAULT_NICE);
        int[] seen = new int[2];
        CompletableFuture<Boolean> applied = new CompletableFuture<>();
        Thread worker = new Thread(() -> {
            try {
                seen[0] = BackgroundPriority.currentNice();
                applied.complete(BackgroundPriority.lowerCurrentThread());
                seen[1] = BackgroundPriority.currentNice();
            } catch (Exception e) {
                applied.completeExceptionally(e);
            }
        });
        worker.start();
        worker.join();

        assertThat(applied.get()).isTrue();
        assertThat(seen[0]).isEqualTo(before);
        assertThat(seen[1]).isEqualTo(BackgroundPriority.DEFAULT_NICE);
        assertThat(BackgroundPriority.currentNice()).isEqualTo(before);
    }
}
