package dev.trellis.controller;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the shared reference folder (surefire passes it as {@code trellis.reference.dir}). */
public final class ReferenceFiles {

    private ReferenceFiles() {
    }

    public static Path resolve(String relative) {
        String configured = System.getProperty("trellis.reference.dir");
        if (configured != null && Files.isDirectory(Path.of(configured))) {
            return Path.of(configured).resolve(relative).normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/reference");
            if (Files.isDirectory(candidate)) {
                return candidate.resolve(relative);
            }
        }
        throw new IllegalStateException("cannot find shared/reference next to the repository");
    }
}
