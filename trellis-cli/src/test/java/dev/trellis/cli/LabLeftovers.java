package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.cli.lab.Lab;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Checks that the labs a JVM ran ({@code trellis demo}, {@code trellis up}) left nothing on this machine. */
final class LabLeftovers {

    private LabLeftovers() {
    }

    /**
     * No namespace, /etc/netns entry or interface named after {@code pid}'s labs, no process carrying their run id
     * ({@code TRELLIS_LAB_RUN=<kind>-<pid>-...}, by a scan of /proc), and {@code workDir} gone.
     */
    static void assertNoneLeft(String kind, long pid, Path workDir) throws IOException, InterruptedException {
        String namespacePrefix = "trellis-t" + (pid % 1_000_000);
        assertThat(run("ip", "netns", "list")).as("network namespaces").doesNotContain(namespacePrefix);
        if (Files.isDirectory(Path.of("/etc/netns"))) {
            try (Stream<Path> entries = Files.list(Path.of("/etc/netns"))) {
                assertThat(entries.map(p -> p.getFileName().toString())).as("/etc/netns")
                        .noneMatch(n -> n.startsWith(namespacePrefix));
            }
        }
        assertThat(run("ip", "-o", "link", "show")).as("bridges and veths")
                .doesNotContainPattern(": t" + (pid % 1_000_000) + "[a-z]");
        assertThat(processesOf(kind + "-" + pid + "-")).as("child processes").isEmpty();
        assertThat(workDir).as("the work directory").doesNotExist();
    }

    /** Processes whose environment has {@code TRELLIS_LAB_RUN=<runIdPrefix>...}. */
    static List<String> processesOf(String runIdPrefix) throws IOException {
        byte[] marker = (Lab.RUN_VARIABLE + "=" + runIdPrefix).getBytes(StandardCharsets.UTF_8);
        List<String> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path entry : entries.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                byte[] environment;
                try {
                    environment = Files.readAllBytes(entry.resolve("environ"));
                } catch (IOException e) {
                    continue; // gone meanwhile, or not ours to read
                }
                if (indexOf(environment, marker) >= 0) {
                    found.add(entry.getFileName() + " " + new String(Files.readAllBytes(entry.resolve("cmdline")),
                            StandardCharsets.UTF_8).replace('\0', ' '));
                }
            }
        }
        return found;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        return output;
    }
}
