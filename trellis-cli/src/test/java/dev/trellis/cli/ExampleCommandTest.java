package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ExampleCommandTest {

    private static final Pattern LISTENING = Pattern.compile("listening on http://\\S+:(\\d+)");

    @Test
    void datastoreHelpNamesTheManifestsVariablesAndEveryOption() {
        CliTestSupport.Result result = CliTestSupport.run("example", "datastore", "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("Usage: trellis example datastore", "POSTGRES_HOST", "POSTGRES_TABLEPREFIX",
                "--version", "v1 or v2", "--port", "$PORT, else 3000", "--h2-file", "--host-name");
    }

    @Test
    void datastoreRejectsAVersionOtherThanV1OrV2() {
        CliTestSupport.Result result = CliTestSupport.run("example", "datastore", "--version", "v3");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("the version must be v1 or v2, not 'v3'");
    }

    @Test
    void frontendRejectsAMissingOrForeignDatastoreUrl() {
        CliTestSupport.Result result = CliTestSupport.run("example", "frontend", "--datastore-url", "ftp://x");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("the datastore URL must be http://host[:port] or https://host[:port]");
    }

    /** Both apps as separate processes, as the demo starts them; curl calls the frontend; SIGTERM stops both. */
    @Test
    void frontendProcessCallsDatastoreProcessAndBothStopOnSigterm() throws Exception {
        App datastore = App.start("example", "datastore", "--host", "127.0.0.1", "--port", "0", "--version", "v2",
                "--host-name", "datastore-v2-pod");
        try (datastore) {
            App frontend = App.start("example", "frontend", "--host", "127.0.0.1", "--port", "0",
                    "--datastore-url", "127.0.0.1:" + datastore.port);
            try (frontend) {
                JsonNode summary = new ObjectMapper().readTree(curl("http://127.0.0.1:" + frontend.port + "/summary"));
                assertThat(summary.path("servedBy").asText()).isEqualTo("v2");
                assertThat(summary.path("datastore").path("host").asText()).isEqualTo("datastore-v2-pod");
                assertThat(curl("http://127.0.0.1:" + frontend.port + "/ready")).contains("\"ready\"");

                assertThat(frontend.terminate()).isEqualTo(143);
                assertThat(frontend.log()).contains("GET /summary 200", "GET /ready 200", "frontend stopped");
            }
            assertThat(datastore.terminate()).isEqualTo(143);
            assertThat(datastore.log()).contains("seeded 10 books", "GET /summary 200", "datastore v2 stopped");
        }
    }

    private static String curl(String url) throws Exception {
        Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "15", url).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor()).as("curl " + url + ": " + out).isZero();
        return out;
    }

    /** {@code trellis example ...} in its own JVM, with no PostgreSQL variables (the embedded database). */
    private static final class App implements AutoCloseable {
        final Process process;
        final int port;
        final Path log;

        private App(Process process, int port, Path log) {
            this.process = process;
            this.port = port;
            this.log = log;
        }

        static App start(String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), TrellisCommand.class.getName()));
            command.addAll(List.of(args));
            Path log = Files.createTempFile("trellis-example", ".log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("POSTGRES_"));
            Process process = builder.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    return new App(process, Integer.parseInt(m.group(1)), log);
                }
            }
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", args) + " did not start: " + lines + "\n"
                    + Files.readString(log));
        }

        int terminate() throws InterruptedException {
            process.destroy();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            return process.exitValue();
        }

        String log() throws IOException {
            return Files.readString(log);
        }

        @Override
        public void close() throws IOException {
            process.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }
}
