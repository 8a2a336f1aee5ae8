package dev.trellis.cli.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short command of the host ({@code ip ...}) to completion. */
final class HostCommand {

    private HostCommand() {
    }

    /** Runs the command; fails with its output when it exits non-zero or takes over 30 s. */
    static String run(String... command) throws IOException {
        Result result = execute(List.of(command));
        if (result.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + result.exitCode() + "): "
                    + result.output().strip());
        }
        return result.output();
    }

    /** Runs the command whatever its exit status (cleanups: the thing may already be gone). */
    static Result runIgnoringFailure(String... command) {
        try {
            return execute(List.of(command));
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        }
    }

    record Result(int exitCode, String output) {
    }

    private static Result execute(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " interrupted");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
