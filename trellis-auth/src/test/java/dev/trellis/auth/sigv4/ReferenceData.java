package dev.trellis.auth.sigv4;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

/** Locates the shared reference data (the AWS SigV4 test suite) the tests read at run time. */
final class ReferenceData {

    private ReferenceData() {
    }

    /**
     * The {@code shared/reference} folder: the {@code trellis.reference.dir} system property (set by surefire), else
     * the first {@code shared/reference} found walking up from the working directory.
     */
    static Path referenceDir() {
        String property = System.getProperty("trellis.reference.dir");
        if (property != null && Files.isDirectory(Paths.get(property))) {
            return Paths.get(property).normalize();
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("reference");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("shared/reference not found: set -Dtrellis.reference.dir (was "
                + property + ") or run from inside the repository");
    }

    static Path testSuite() {
        return referenceDir().resolve("sigv4-testsuite");
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A file's bytes as an octet string (ISO-8859-1), the representation {@link SignedRequest} uses. */
    static String readOctets(Path file) {
        return new String(read(file), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    static Stream<Path> sortedSubdirectories(Path dir) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(Files::isDirectory).sorted().toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
