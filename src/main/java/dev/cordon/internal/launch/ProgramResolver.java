package dev.cordon.internal.launch;

import dev.cordon.LaunchException;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the file a command names, as execvp would, so that "not found" is reported before anything starts. */
final class ProgramResolver {
    private ProgramResolver() {}

    /** Used to resolve a bare name when the policy's environment has no PATH (it is not added to it). */
    static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

    static Path resolve(String command, String pathVariable, Path workingDirectory) {
        if (command.isEmpty()) throw new LaunchException(LaunchException.Reason.NOT_FOUND, Path.of(""), "empty program name");
        if (command.contains("/")) {
            Path p = workingDirectory.resolve(command).normalize();
            check(p);
            return p;
        }
        String search = pathVariable != null ? pathVariable : DEFAULT_PATH;
        Path notExecutable = null;
        for (String dir : search.split(":", -1)) {
            Path p = (dir.isEmpty() ? workingDirectory : workingDirectory.resolve(dir)).resolve(command).normalize();
            if (Files.isRegularFile(p)) {
                if (Files.isExecutable(p)) return p;
                if (notExecutable == null) notExecutable = p;
            }
        }
        if (notExecutable != null) {
            throw new LaunchException(LaunchException.Reason.NOT_EXECUTABLE, notExecutable,
                    "program " + notExecutable + " is not executable");
        }
        throw new LaunchException(LaunchException.Reason.NOT_FOUND, Path.of(command),
                "program \"" + command + "\" not found in PATH " + search);
    }

    private static void check(Path p) {
        if (!Files.exists(p)) {
            throw new LaunchException(LaunchException.Reason.NOT_FOUND, p, "program " + p + " not found");
        }
        if (Files.isDirectory(p) || !Files.isExecutable(p)) {
            throw new LaunchException(LaunchException.Reason.NOT_EXECUTABLE, p, "program " + p + " is not executable");
        }
    }
}
