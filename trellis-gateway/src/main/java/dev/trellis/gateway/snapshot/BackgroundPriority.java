package dev.trellis.gateway.snapshot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the calling thread at a lower CPU priority (a Linux nice value), for bulk work that must not take the CPU from
 * the event loops: decoding and compiling a snapshot costs tens of milliseconds of CPU per revision, and on a machine
 * with as many busy threads as cores an event loop that waits behind it for a time slice pauses every request it
 * holds. At nice 10 the kernel's fair scheduler gives the thread about a tenth of an event loop's share while both want
 * the CPU, and all of it when the event loops are idle, so a swap still finishes promptly.
 *
 * <p>Linux applies nice values per thread; the JDK offers no call for it, so this runs {@code renice} on the thread's
 * own id (read from {@code /proc/thread-self/stat}). Raising one's own nice value needs no privilege. Elsewhere (no
 * {@code /proc}, no {@code renice}) nothing changes and the reason is logged once. The system property
 * {@value #PROPERTY} sets the value; {@code 0} turns this off.
 */
public final class BackgroundPriority {

    public static final String PROPERTY = "trellis.snapshot.nice";
    static final int DEFAULT_NICE = 10;

    private static final Logger log = LoggerFactory.getLogger(BackgroundPriority.class);

    private BackgroundPriority() {
    }

    /** Lowers the calling thread's priority to the configured nice value; true when it was applied. */
    public static boolean lowerCurrentThread() {
        int nice = Integer.getInteger(PROPERTY, DEFAULT_NICE);
        if (nice <= 0) {
            return false;
        }
        String tid;
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"), StandardCharsets.US_ASCII);
            tid = stat.substring(0, stat.indexOf(' '));
        } catch (IOException | RuntimeException e) {
            log.debug("thread priorities unchanged: no /proc/thread-self ({})", e.toString());
            return false;
        }
        try {
            Process renice = new ProcessBuilder("renice", "-n", Integer.toString(Math.min(nice, 19)), "-p", tid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!renice.waitFor(5, TimeUnit.SECONDS)) {
                renice.destroyForcibly();
                log.info("thread priorities unchanged: renice did not finish");
                return false;
            }
            if (renice.exitValue() != 0) {
                log.info("thread priorities unchanged: renice exited with {}", renice.exitValue());
                return false;
            }
            log.debug("thread {} ({}) runs at nice {}", Thread.currentThread().getName(), tid, nice);
            return true;
        } catch (IOException e) {
            log.info("thread priorities unchanged: {}", e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The calling thread's nice value as the kernel reports it (field 19 of its stat line), for tests. */
    static int currentNice() throws IOException {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"), StandardCharsets.US_ASCII);
        // the command name (field 2) is in parentheses and may hold spaces: count fields after its closing one
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(after[16]);
    }
}
