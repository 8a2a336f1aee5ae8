package dev.trellis.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** Runs the trellis command in-process and captures what it prints. */
final class CliTestSupport {

    record Result(int exitCode, String out, String err) {
    }

    private CliTestSupport() {
    }

    static Result run(String... args) {
        CommandLine cli = TrellisCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** {@code ../shared/reference} (surefire passes it as {@code trellis.reference.dir}). */
    static Path reference(String relative) {
        String configured = System.getProperty("trellis.reference.dir");
        if (configured != null && Files.isDirectory(Path.of(configured))) {
            return Path.of(configured).resolve(relative);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("../shared/reference");
            if (Files.isDirectory(candidate)) {
                return candidate.normalize().resolve(relative);
            }
        }
        throw new IllegalStateException("cannot find ../shared/reference");
    }
}
