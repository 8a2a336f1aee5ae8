package dev.trellis.gateway;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPU priorities (Linux nice values) of the gateway's threads: its event loops above everything else on the
 * machine, bulk work below them.
 *
 * <p>On a machine with as many busy threads as cores, a request loop that waits for a time slice pauses every request
 * it holds; the snapshot-memory benchmark showed that wait to be most of the loop's longest delays. So:
 * <ul>
 *   <li>the request event loops run at nice {@value #DEFAULT_EVENT_LOOP_NICE} (system property
 *       {@value #EVENT_LOOP_PROPERTY}), as nginx's {@code worker_priority} does for its workers. The kernel's fair
 *       scheduler then gives a loop about three times the share of a thread at nice 0 while both want the CPU, and
 *       picks it sooner when it wakes. A negative value needs root or {@code CAP_SYS_NICE}; without it the loops stay
 *       at nice 0 and the reason is logged once;</li>
 *   <li>bulk work (decoding and compiling a snapshot: tens of milliseconds of CPU per revision) runs at nice
 *       {@value #DEFAULT_BULK_NICE} (system property {@value #BULK_PROPERTY}): about a tenth of a loop's share while
 *       both want the CPU, and all of it when the loops are idle, so a swap still finishes promptly. Raising one's own
 *       nice value needs no privilege.</li>
 * </ul>
 *
 * <p>Linux applies nice values per thread; the JDK offers no call for it, so this runs {@code renice} on the threads'
 * ids (read from {@code /proc/thread-self/stat}). Elsewhere (no {@code /proc}, no {@code renice}) nothing changes and
 * the reason is logged. Either property set to {@code 0} turns its part off.
 */
public final class ThreadPriorities {

    public static final String BULK_PROPERTY = "trellis.snapshot.nice";
    public static final String EVENT_LOOP_PROPERTY = "trellis.eventloop.nice";
    static final int DEFAULT_BULK_NICE = 10;
    static final int DEFAULT_EVENT_LOOP_NICE = -5;

    private static final Logger log = LoggerFactory.getLogger(ThreadPriorities.class);

    private ThreadPriorities() {
    }

    /** Lowers the calling thread, which is about to do bulk work, to the configured nice value; true when applied. */
    public static boolean lowerCurrentThread() {
        int nice = Integer.getInteger(BULK_PROPERTY, DEFAULT_BULK_NICE);
        if (nice <= 0) {
            return false;
        }
        String tid;
        try {
            tid = currentThreadId();
        } catch (IOException | RuntimeException e) {
            log.debug("thread priorities unchanged: no /proc/thread-self ({})", e.toString());
            return false;
        }
        boolean applied = renice(Math.min(nice, 19), List.of(tid));
        if (applied) {
            log.debug("thread {} ({}) runs at nice {}", Thread.currentThread().getName(), tid, nice);
        }
        return applied;
    }

    /**
     * Raises every event loop of {@code loops} to the configured nice value, starting their threads if they have not
     * started; waits for it. True when applied; false (logged) when the value is 0, the loops' ids could not be read,
     * or {@code renice} refused (without root or {@code CAP_SYS_NICE}).
     */
    public static boolean raiseEventLoops(EventLoopGroup loops) {
        int nice = Integer.getInteger(EVENT_LOOP_PROPERTY, DEFAULT_EVENT_LOOP_NICE);
        if (nice >= 0) {
            return false;
        }
        List<String> tids = new ArrayList<>();
        try {
            for (EventExecutor loop : loops) {
                tids.add(loop.submit(ThreadPriorities::currentThreadId).get(5, TimeUnit.SECONDS));
            }
        } catch (ExecutionException | TimeoutException e) {
            log.info("event loops run at nice 0: their thread ids could not be read ({})", e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        boolean applied = renice(Math.max(nice, -20), tids);
        if (applied) {
            log.info("event loops run at nice {} (threads {})", nice, String.join(", ", tids));
        } else {
            log.info("event loops run at nice 0: nice {} needs root or CAP_SYS_NICE (-D{}=0 turns this off)", nice,
                    EVENT_LOOP_PROPERTY);
        }
        return applied;
    }

    /** Runs {@code renice -n nice -p tids…}; true when it exited with 0, false (logged at debug) otherwise. */
    private static boolean renice(int nice, List<String> tids) {
        List<String> command = new ArrayList<>(List.of("renice", "-n", Integer.toString(nice), "-p"));
        command.addAll(tids);
        try {
            Process renice = new ProcessBuilder(command)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!renice.waitFor(5, TimeUnit.SECONDS)) {
                renice.destroyForcibly();
                log.info("thread priorities unchanged: renice did not finish");
                return false;
            }
            if (renice.exitValue() != 0) {
                log.debug("thread priorities unchanged: renice -n {} exited with {}", nice, renice.exitValue());
                return false;
            }
            return true;
        } catch (IOException e) {
            log.info("thread priorities unchanged: {}", e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The calling thread's id (the kernel's, as {@code renice -p} takes it): field 1 of its stat line. */
    private static String currentThreadId() throws IOException {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"), StandardCharsets.US_ASCII);
        return stat.substring(0, stat.indexOf(' '));
    }

    /** The calling thread's nice value as the kernel reports it (field 19 of its stat line). */
    public static int currentNice() throws IOException {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"), StandardCharsets.US_ASCII);
        // the command name (field 2) is in parentheses and may hold spaces: count fields after its closing one
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(after[16]);
    }
}
