package dev.trellis.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Linux network namespace made by a test ({@code ip netns}), removed again by {@link #close()} together with every
 * interface inside it. Needs root and iproute2: {@link #supported()} says whether this machine can (CI runs as root).
 */
final class NetworkNamespace implements AutoCloseable {

    private final String name;

    private NetworkNamespace(String name) {
        this.name = name;
    }

    /** True when this process may create namespaces (root, {@code ip} installed). */
    static boolean supported() {
        return "root".equals(System.getProperty("user.name"))
                && (Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")));
    }

    /** Creates namespace {@code name} (a stale one of the same name is removed first) with loopback up. */
    static NetworkNamespace create(String name) throws IOException, InterruptedException {
        ip(true, "netns", "delete", name);
        ip(false, "netns", "add", name);
        NetworkNamespace namespace = new NetworkNamespace(name);
        namespace.ip("link", "set", "lo", "up");
        return namespace;
    }

    String name() {
        return name;
    }

    /** Runs {@code ip -n <name> args...}; fails with ip's message when it fails. */
    void ip(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("-n", name));
        command.addAll(List.of(args));
        ip(false, command.toArray(String[]::new));
    }

    /** Runs a command inside the namespace and returns its standard output; fails when it exits non-zero. */
    String exec(String... command) throws IOException, InterruptedException {
        Result result = run(command);
        if (result.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + result.exitCode() + "): "
                    + result.output());
        }
        return result.output();
    }

    /** What a command printed (standard output and error together) and its exit status. */
    record Result(int exitCode, String output) {
    }

    /** Runs a command inside the namespace, whatever its exit status. */
    Result run(String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(List.of(command));
        Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", full) + " did not finish");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /** Runs {@code ip args...} in the test's own namespace. */
    static void ip(boolean ignoreFailure, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        run(ignoreFailure, command);
    }

    private static String run(boolean ignoreFailure, List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0 && !ignoreFailure) {
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + text);
        }
        return text;
    }

    /**
     * Deletes the namespace's interfaces, then the namespace. A veth end deleted here takes its peer (on the host or
     * in another namespace) with it at once; left to the namespace's deletion, the peer goes only when the kernel
     * gets round to cleaning the namespace up, which Linux 6.18 does after {@code ip netns delete} has returned, and
     * the next test making the same names found them still there.
     */
    @Override
    public void close() throws IOException, InterruptedException {
        for (String link : links()) {
            if (!link.equals("lo")) {
                ip(true, "-n", name, "link", "delete", link);
            }
        }
        ip(true, "netns", "delete", name);
    }

    /** The names of the namespace's interfaces ({@code ip -o link}: "2: uplink@if13: <...>"). */
    private List<String> links() throws IOException, InterruptedException {
        List<String> names = new ArrayList<>();
        for (String line : run(true, List.of("ip", "-n", name, "-o", "link", "show")).split("\n")) {
            String[] fields = line.split(": ", 3);
            if (fields.length == 3) {
                names.add(fields[1].split("@", 2)[0]);
            }
        }
        return names;
    }
}
