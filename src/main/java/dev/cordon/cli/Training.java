package dev.cordon.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The training runs of the two AOT caches (scripts/env.sh): the common run lines in one JVM, so that their classes
 * are stored loaded and linked. {@code plain}: runs given by options, with limits and every output file;
 * {@code files}: runs with a policy file or a profile. Two caches, because the JVM loads every class of its cache at
 * start-up: TOML and Jackson databind (about 450 classes) cost a plain run 15-30 ms that it does not need. Only
 * lines that {@link QuickParse} reads: picocli's classes cannot be cached (Java 5 class files), and a cached class
 * that refers to them would make the JVM load them from the jar on every start. Not part of the command's
 * interface; its failures only make the cache smaller.
 */
public final class Training {
    private Training() {}

    /** {@code plain}: runs given by options only; {@code files}: runs with a policy file or a profile. */
    public static void main(String[] args) throws IOException {
        String kind = args.length > 0 ? args[0] : "plain";
        Path dir = Files.createTempDirectory("cordon-training");
        try {
            // Run as root, the sandbox runs as nobody: the directory must be open to it.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path policy = dir.resolve("policy.toml");
            Files.writeString(policy, """
                    include = ["profile:shell"]
                    write = ["%s"]
                    cwd = "%s"
                    audit = "denied"

                    [limits]
                    cpu_time = "5s"
                    wall_time = "20s"
                    memory = "256M"
                    """.formatted(dir, dir));
            String d = dir.toString();
            List<List<String>> lines = "files".equals(kind) ? List.of(
                    List.of("run", "--best-effort", "--policy", policy.toString(), "--report", d + "/report.json",
                            "--meta", d + "/meta", "--log", d + "/log", "--output-limit", "1M", "--", "/bin/sh", "-c",
                            "echo x > " + d + "/out; cat /etc/nonexistent 2>/dev/null; exit 3"),
                    List.of("run", "-q", "--best-effort", "--profile", "shell", "--audit", "all", "--", "/bin/true"))
                    : List.of(
                    List.of("run", "-q", "--best-effort", "--read", "/usr", "--exec", "/usr", "--exec", "/lib64",
                            "--env", "PATH=/usr/bin:/bin", "--cwd", d, "--", "/bin/true"),
                    List.of("run", "--best-effort", "--read", "/usr", "--exec", "/usr", "--exec", "/lib64", "--write", d,
                            "--report", d + "/report.json", "--meta", d + "/meta", "--log", d + "/log",
                            "--output-limit", "1M", "--cpu-time", "5s", "--wall-time", "20s", "--memory", "256M", "--",
                            "/bin/sh", "-c", "echo x > " + d + "/out; cat /etc/nonexistent 2>/dev/null; exit 3"));
            for (List<String> line : lines) {
                try {
                    Main.run(line.toArray(String[]::new));
                } catch (RuntimeException e) {
                    System.err.println("cordon training: " + line + ": " + e);
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        // A normal exit: the JVM writes the cache on its way out.
        System.exit(0);
    }
}
