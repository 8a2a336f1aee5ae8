package dev.trellis.auth.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the shared reference folder: from the {@code trellis.reference.dir} system property (surefire sets it), or
 * else the first {@code shared/reference} found walking up from the working directory.
 */
final class ReferenceFiles {

    private ReferenceFiles() {
    }

    static Path root() {
        String configured = System.getProperty("trellis.reference.dir");
        if (configured != null && Files.isDirectory(Path.of(configured))) {
            return Path.of(configured);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("reference");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("shared/reference not found: set -Dtrellis.reference.dir");
    }

    static String read(String relativePath) {
        try {
            return Files.readString(root().resolve(relativePath), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
