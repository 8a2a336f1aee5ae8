package dev.trellis.controlplane;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the shared reference folder the tests read third-party data from. */
public final class ReferenceFiles {

    private ReferenceFiles() {
    }

    /** {@code ../shared/reference} of the repository (surefire passes it as {@code trellis.reference.dir}). */
    public static Path root() {
        String configured = System.getProperty("trellis.reference.dir");
        if (configured != null && Files.isDirectory(Path.of(configured))) {
            return Path.of(configured).normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/reference");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            candidate = dir.resolve("../shared/reference");
            if (Files.isDirectory(candidate)) {
                return candidate.normalize();
            }
        }
        throw new IllegalStateException("cannot find shared/reference next to the repository");
    }

    public static Path resolve(String relative) {
        return root().resolve(relative);
    }
}
