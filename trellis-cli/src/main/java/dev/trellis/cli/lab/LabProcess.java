package dev.trellis.cli.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A child process of a {@link Lab}: a JVM of this same trellis jar, possibly inside a VPC's network namespace, with
 * standard output and error going to one log file. Readiness is read from that file (every trellis process prints
 * {@code Stop with ...} once it serves), so no thread has to drain a pipe.
 */
public final class LabProcess {

    private static final Pattern READY = Pattern.compile("(?m)^Stop with");

    private final String name;
    private final Process process;
    private final Path log;

    LabProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until the process says it serves; fails with the end of its log when it exits or takes too long. */
    public void awaitReady(Duration timeout) throws IOException, InterruptedException {
        awaitLine(READY, timeout);
    }

    /**
     * Waits for a line of the log matching {@code pattern} and returns the match.
     *
     * @throws IOException when the process ends first or {@code timeout} passes, naming the process and quoting the
     *     end of its log
     */
    public Matcher awaitLine(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Matcher matcher = pattern.matcher(output());
            if (matcher.find()) {
                return matcher;
            }
            if (!process.isAlive()) {
                // One last read: it may have printed the line and exited at once.
                matcher = pattern.matcher(output());
                if (matcher.find()) {
                    return matcher;
                }
                throw new IOException(name + " exited with status " + process.exitValue() + ": " + tail(8));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(name + " did not get ready within " + timeout.toSeconds() + " s: " + tail(8));
            }
            Thread.sleep(50);
        }
    }

    /** Everything it printed so far. */
    public String output() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** The last {@code lines} lines of its log, joined by " | " for a one-line error message. */
    public String tail(int lines) {
        try {
            List<String> all = output().lines().filter(l -> !l.isBlank()).toList();
            return all.isEmpty() ? "(no output)"
                    : String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM (every trellis process stops cleanly on it), to the process and any descendants. */
    void signalStop() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
    }

    /** Waits for the end until {@code deadline} ({@link System#nanoTime()}), then SIGKILL and waits up to 10 s. */
    void awaitStop(long deadline) {
        try {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !process.waitFor(left, TimeUnit.NANOSECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }
}
