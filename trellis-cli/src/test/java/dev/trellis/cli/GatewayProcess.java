package dev.trellis.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code trellis gateway} as a separate JVM, as a user runs it — optionally inside a network namespace
 * ({@code ip netns exec}) — with the control plane's admin credentials in its environment.
 */
final class GatewayProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final List<String> output = new ArrayList<>();

    private GatewayProcess(Process process, Path log) throws IOException {
        this.process = process;
        this.log = log;
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String line;
        boolean started = false;
        while ((line = out.readLine()) != null) {
            output.add(line);
            if (line.startsWith("Stop with")) {
                started = true;
                break;
            }
        }
        if (!started) {
            process.destroyForcibly();
            throw new IllegalStateException("the gateway did not start: " + String.join("\n", output) + "\n"
                    + Files.readString(log));
        }
        CompletableFuture.runAsync(() -> {
            try {
                while (out.readLine() != null) {
                    // keep the pipe drained
                }
            } catch (IOException e) {
                // the process ended
            }
        });
    }

    /**
     * Starts a gateway for {@code vpcId}.
     *
     * @param namespace the network namespace to run it in, or null for this one
     * @param args further {@code trellis gateway} options
     */
    static GatewayProcess start(String namespace, String vpcId, URI controlPlane, String accessKeyId,
                                String secretAccessKey, Path dataDir, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        if (namespace != null) {
            command.addAll(List.of("ip", "netns", "exec", namespace));
        }
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp", System.getProperty("java.class.path"),
                TrellisCommand.class.getName(), "gateway",
                "--vpc", vpcId, "--control-plane", controlPlane.toString(), "--data-dir", dataDir.toString()));
        command.addAll(List.of(args));
        Path log = Files.createTempFile("trellis-gateway", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("AWS_ACCESS_KEY_ID", accessKeyId);
        env.put("AWS_SECRET_ACCESS_KEY", secretAccessKey);
        env.remove("AWS_SESSION_TOKEN");
        env.remove("AWS_PROFILE");
        return new GatewayProcess(builder.start(), log);
    }

    List<String> output() {
        return output;
    }

    /** What the gateway logged (standard error). */
    String log() throws IOException {
        return Files.readString(log);
    }

    /** SIGTERM, and wait for the JVM to end. */
    void terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
