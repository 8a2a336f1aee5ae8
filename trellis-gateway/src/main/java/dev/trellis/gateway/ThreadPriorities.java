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
 * The CPU priorities (Linux nice values) of the gateway's threads: bulk work below the event loops, and, where an
 * operator asks for it, the event loops above everything else on the machine.
 *
 * <ul>
 *   <li>Bulk work (decoding and compiling a snapshot: tens of milliseconds of CPU per revision) runs at nice
 *       {@value #DEFAULT_BULK_NICE} (system property {@value #BULK_PROPERTY}; {@code 0} turns it off): about a tenth
 *       of a loop's share while both want the CPU, and all of it when the loops are idle, so a swap still finishes
 *       promptly. Raising one's own nice value needs no privilege.</li>
 *   <li>The request event loops run at nice 0 unless the system property {@value #EVENT_LOOP_PROPERTY} gives a
 *       negative value, as nginx's {@code worker_priority} does (and, like it, off by default: on the
 *       snapshot-memory benchmark nice -5 did not shorten the loop's waits for a CPU; docs/benchmarks.md, snapshot
 *       memory, eleventh run). A negative value needs root or {@code CAP_SYS_NICE}; refused, the loops stay at nice 0
 *       and the log says so.</li>
 * </ul>
 *
 * <p>Linux applies nice values per thread; the JDK offers no call for it, so this runs {@code renice} on the threads'
 * ids (read from {@code /proc/thread-self/stat}). Elsewhere (no {@code /proc}, no {@code renice}) nothing changes and
 * the reason is logged.
 */
public final class ThreadPriorities {

    public static final String BULK_PROPERTY = "trellis.snapshot.nice";
    public static final String EVENT_LOOP_PROPERTY = "trellis.eventloop.nice";
    static final int DEFAULT_BULK_NICE = 10;

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
        } else {
            log.info("thread {} runs at nice 0: renice -n {} was refused", Thread.currentThread().getName(), nice);
        }
        return applied;
    }

    /**
     * Raises every event loop of {@code loops} to the nice value of {@value #EVENT_LOOP_PROPERTY}, if it is negative
     * (see the class comment); starts the loops' threads if they have not started, and waits. True when applied.
     */
    public static boolean raiseEventLoops(EventLoopGroup loops) {
        return raiseEventLoops(loops, Integer.getInteger(EVENT_LOOP_PROPERTY, 0));
    }

    /** {@link #raiseEventLoops(EventLoopGroup)} to {@code nice}; false (logged) when not negative or refused. */
    static boolean raiseEventLoops(EventLoopGroup loops, int nice) {
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
            log.warn("event loops run at nice 0: {}={} needs root or CAP_SYS_NICE", EVENT_LOOP_PROPERTY, nice);
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
