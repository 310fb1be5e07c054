package dev.cordon.cli;

import dev.cordon.Policy;
import dev.cordon.PolicyException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Option values that {@code run}, {@code trace} and {@code learn} read alike: paths, ports, environment, cwd. */
final class OptionValues {
    private OptionValues() {}

    static String absolute(String option, String path) {
        if (!path.startsWith("/")) throw new PolicyException(option + " " + path + ": not an absolute path");
        return path;
    }

    static int port(String option, String text) {
        try {
            int port = Integer.parseInt(text.trim());
            if (port >= 1 && port <= 65535) return port;
        } catch (NumberFormatException ignored) {
            // Reported below.
        }
        throw new PolicyException(option + " " + text + ": not a TCP port (1-65535)");
    }

    /** {@code --env NAME=VALUE}, or {@code --env NAME} copied from Cordon's own environment. */
    static void environment(Policy.Builder b, List<String> settings) {
        for (String e : settings) {
            int eq = e.indexOf('=');
            if (eq >= 0) {
                b.env(e.substring(0, eq), e.substring(eq + 1));
            } else {
                String value = System.getenv(e);
                if (value == null) throw new PolicyException("--env " + e + ": no such variable in Cordon's environment");
                b.env(e, value);
            }
        }
    }

    /** {@code --cwd DIR}, when given: an absolute path to an existing directory. */
    static void workingDirectory(Policy.Builder b, String cwd) {
        if (cwd == null) return;
        Path dir = Path.of(absolute("--cwd", cwd));
        if (!Files.isDirectory(dir)) throw new PolicyException("--cwd " + cwd + ": no such directory");
        b.workingDirectory(dir);
    }
}
