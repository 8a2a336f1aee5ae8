package dev.trellis.benchmarks.wrk;

import dev.trellis.benchmarks.gateway.BenchPki;
import dev.trellis.benchmarks.gateway.BenchSnapshots;
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
    private BenchPki pki;
    private BenchPki.Issued.PemFiles httpsCertificate;
    private Path fabricDir;

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

    /** Where VPC-B's gateway listens for the fabric scenario's first hop (the port after the backend's). */
    int fabricPort() {
        return options.basePort() + 2;
    }

    /**
     * The HTTPS scenarios' certificate and key (RSA 2048, SAN = the datastore's generated name, from this run's
     * CA), written once per run to {@code tls/server.crt} and {@code tls/server.key}; nginx and the gateway are
     * given the same files.
     */
    synchronized BenchPki.Issued.PemFiles httpsCertificate() throws IOException {
        if (httpsCertificate == null) {
            httpsCertificate = pki().server(BenchSnapshots.HOST).write(workDir().resolve("tls"), "server");
        }
        return httpsCertificate;
    }

    /**
     * The fabric scenario's material, made once per run: {@code gateway-a.*} (VPC-A, the first hop) and
     * {@code gateway-b.*} (VPC-B) in the returned directory, from one CA, as {@code BenchGateway --fabric} reads it.
     */
    synchronized Path fabricMaterial() throws IOException {
        if (fabricDir == null) {
            Path dir = workDir().resolve("fabric");
            pki().gateway(BenchSnapshots.VPC).write(dir, "gateway-a");
            pki().gateway(BenchSnapshots.VPC_B).write(dir, "gateway-b");
            fabricDir = dir;
        }
        return fabricDir;
    }

    private BenchPki pki() {
        if (pki == null) {
            pki = BenchPki.create();
        }
        return pki;
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
