package dev.trellis.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code trellis server} as a separate JVM, as a user runs it, so tests can stop it gently or kill it. */
final class ServerProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final Pattern KEY = Pattern.compile("aws_access_key_id = (\\S+)");
    private static final Pattern SECRET = Pattern.compile("aws_secret_access_key = (\\S+)");

    private final Process process;
    private final URI endpoint;
    private final List<String> output = new ArrayList<>();
    private String accessKeyId;
    private String secretAccessKey;

    private final Path log;

    private ServerProcess(Process process, Path log) throws IOException {
        this.process = process;
        this.log = log;
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        URI found = null;
        String line;
        while ((line = out.readLine()) != null) {
            output.add(line);
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                found = URI.create(m.group(1));
            }
            Matcher key = KEY.matcher(line);
            if (key.find()) {
                accessKeyId = key.group(1);
            }
            Matcher secret = SECRET.matcher(line);
            if (secret.find()) {
                secretAccessKey = secret.group(1);
            }
            if (line.startsWith("Stop with")) {
                break;
            }
        }
        if (found == null) {
            process.destroyForcibly();
            throw new IllegalStateException("the server did not start: " + String.join("\n", output));
        }
        this.endpoint = found;
        // Keep draining standard output so the server never blocks on a full pipe.
        CompletableFuture.runAsync(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (IOException e) {
                // the process ended
            }
        });
    }

    static ServerProcess start(Path dataDir, String store) throws IOException {
        return start(dataDir, store, "127.0.0.1");
    }

    /** Starts a server listening on {@code host} (an address of this machine) on a free port. */
    static ServerProcess start(Path dataDir, String store, String host) throws IOException {
        return start(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), TrellisCommand.class.getName()), dataDir, store, host);
    }

    /**
     * Starts a server with {@code launcher} as the command that runs {@code trellis} (the test class path, or
     * {@code java -jar trellis.jar} to check the distribution itself).
     */
    static ServerProcess start(List<String> launcher, Path dataDir, String store, String host) throws IOException {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of("server",
                "--data-dir", dataDir.toString(), "--host", host, "--port", "0", "--store", store));
        Path log = java.nio.file.Files.createTempFile("trellis-server", ".log");
        Process process = new ProcessBuilder(command)
                .redirectError(log.toFile())
                .start();
        return new ServerProcess(process, log);
    }

    URI endpoint() {
        return endpoint;
    }

    /** The admin's key, printed only by the first start. */
    String accessKeyId() {
        return accessKeyId;
    }

    String secretAccessKey() {
        return secretAccessKey;
    }

    List<String> output() {
        return output;
    }

    /** What the server logged (standard error). */
    String log() throws IOException {
        return java.nio.file.Files.readString(log);
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM; returns the exit status (143, 128 + SIGTERM, as for any JVM stopped by a signal). */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the server did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
