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
 * gets alike ({@link #proxyCommand}). With {@code --interleave} the scenarios run side by side, each in its own
 * slot of ports ({@link #inSlot}).
 */
final class BenchContext {

    /** Ports apart from one slot to the next: a proxy, (the backend's, in slot 0), a fabric peer. */
    static final int PORTS_PER_SLOT = 3;

    /** The CPU the proxy under test runs on; the backend and wrk share the other one. */
    static final String PROXY_CPU = "0";
    static final String LOAD_CPU = "1";

    private final WrkOptions options;
    private final int slot;
    /** The run's certificates, made once and shared by every slot's context. */
    private final Material material;

    BenchContext(WrkOptions options) {
        this(options, 0, new Material());
    }

    private BenchContext(WrkOptions options, int slot, Material material) {
        this.options = options;
        this.slot = slot;
        this.material = material;
    }

    /**
     * This context with the ports of slot {@code slot}: the proxy on the base port + {@value #PORTS_PER_SLOT} ×
     * slot, the fabric peer two after it; the backend is the same for all. Slot 0 is the ports without
     * {@code --interleave}.
     */
    BenchContext inSlot(int slot) {
        return new BenchContext(options, slot, material);
    }

    WrkOptions options() {
        return options;
    }

    int proxyPort() {
        return options.proxyPort() + PORTS_PER_SLOT * slot;
    }

    int backendPort() {
        return options.backendPort();
    }

    Path workDir() {
        return options.workDir();
    }

    /** Where VPC-B's gateway listens for the fabric scenario's first hop (two after the proxy's port). */
    int fabricPort() {
        return proxyPort() + 2;
    }

    /**
     * The HTTPS scenarios' certificate and key (RSA 2048, SAN = the datastore's generated name, from this run's
     * CA), written once per run to {@code tls/server.crt} and {@code tls/server.key}; nginx and the gateway are
     * given the same files.
     */
    BenchPki.Issued.PemFiles httpsCertificate() throws IOException {
        synchronized (material) {
            if (material.httpsCertificate == null) {
                material.httpsCertificate = material.pki().server(BenchSnapshots.HOST).write(workDir().resolve("tls"),
                        "server");
            }
            return material.httpsCertificate;
        }
    }

    /**
     * The fabric scenario's material, made once per run: {@code gateway-a.*} (VPC-A, the first hop) and
     * {@code gateway-b.*} (VPC-B) in the returned directory, from one CA, as {@code BenchGateway --fabric} reads it.
     */
    Path fabricMaterial() throws IOException {
        synchronized (material) {
            if (material.fabricDir == null) {
                Path dir = workDir().resolve("fabric");
                material.pki().gateway(BenchSnapshots.VPC).write(dir, "gateway-a");
                material.pki().gateway(BenchSnapshots.VPC_B).write(dir, "gateway-b");
                material.fabricDir = dir;
            }
            return material.fabricDir;
        }
    }

    /** The run's CA and what it issued, made when a scenario first needs them. */
    private static final class Material {
        private BenchPki pki;
        private BenchPki.Issued.PemFiles httpsCertificate;
        private Path fabricDir;

        BenchPki pki() {
            if (pki == null) {
                pki = BenchPki.create();
            }
            return pki;
        }
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
