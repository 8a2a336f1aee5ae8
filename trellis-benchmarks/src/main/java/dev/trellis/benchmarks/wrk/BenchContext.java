package dev.trellis.benchmarks.wrk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What scenarios share: the ports, the work directory, the benchmarks jar, and the CPU pinning that every proxy
 * gets alike ({@link #proxyCommand}).
 */
final class BenchContext {

    /** The CPU the proxy under test runs on; the backend and wrk share the other one. */
    static final String PROXY_CPU = "0";
    static final String LOAD_CPU = "1";

    private final WrkOptions options;

    BenchContext(WrkOptions options) {
        this.options = options;
    }

    WrkOptions options() {
        return options;
    }

    int proxyPort() {
        return options.proxyPort();
    }

    int backendPort() {
        return options.backendPort();
    }

    Path workDir() {
        return options.workDir();
    }

    /** Writes {@code text} to {@code name} in the work directory. */
    Path write(String name, String text) throws IOException {
        Path file = workDir().resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    /** {@code command} pinned to the proxy's CPU (when pinning). Every proxy is started through this. */
    List<String> proxyCommand(List<String> command) {
        return pinned(PROXY_CPU, command);
    }

    /** {@code command} pinned to the CPU of the backend and wrk (when pinning). */
    List<String> loadCommand(List<String> command) {
        return pinned(LOAD_CPU, command);
    }

    /** A Java command running {@code mainClass} from the benchmarks jar. */
    List<String> java(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(options.jar().toString());
        command.add(mainClass);
        command.addAll(args);
        return command;
    }

    private List<String> pinned(String cpu, List<String> command) {
        if (!options.pin()) {
            return command;
        }
        List<String> pinned = new ArrayList<>(List.of("taskset", "-c", cpu));
        pinned.addAll(command);
        return pinned;
    }
}
