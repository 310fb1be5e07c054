package dev.cordon;

import dev.cordon.cli.CliTest;
import dev.cordon.internal.sys.ProcFs;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JVM is killed while the spawned child, not yet exec'd, waits for the supervisor's answer to its setsid
 * (delayed by a test-only property). The child must not hold the seccomp listener itself: else the listener never
 * closes and the child waits forever, as the sandbox user, with copies of the JVM's descriptors.
 */
class SpawnChildLeakTest {
    /** Live (not zombie) processes whose command line holds the marker: the JVM and its vfork child share it. */
    private static List<Long> marked(String marker) {
        List<Long> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) continue;
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")));
                    if (!cmdline.contains(marker)) continue;
                    String stat = ProcFs.read(p.resolve("stat"));
                    if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) continue;
                    found.add(Long.parseLong(name));
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile, or not ours to read
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return found;
    }

    @Test
    void killingTheJvmWhileTheChildWaitsInSetsidLeavesNothing() throws Exception {
        killWhileHeldInSetsid(List.of());
    }

    /** With namespaces (root; an ordinary user runs without them, best effort): the child is pid 1 of its own. */
    @Test
    void withNamespacesToo() throws Exception {
        killWhileHeldInSetsid(List.of("--namespaces", "--best-effort"));
    }

    private static void killWhileHeldInSetsid(List<String> options) throws Exception {
        String marker = "cordon.test.marker=" + UUID.randomUUID();
        List<String> java = CliTest.javaCommand();
        List<String> cmd = new ArrayList<>(java.subList(0, 1));
        cmd.add("-Dcordon.test.delaySetsidMillis=60000");
        cmd.add("-D" + marker);
        cmd.addAll(java.subList(1, java.size()));
        cmd.addAll(List.of("run", "-q"));
        cmd.addAll(options);
        cmd.addAll(List.of("--read", "/usr", "--exec", "/usr", "--exec", "/lib64",
                "--env", "PATH=/usr/bin:/bin", "--", "sleep", "100"));
        Process jvm = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream()))) {
            String line;
            boolean held = false;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("cordon-test: holding the spawned child's setsid")) {
                    held = true;
                    break;
                }
            }
            assertThat(held).as("the supervisor reported the held setsid").isTrue();
            assertThat(marked(marker)).as("the JVM and its spawned child").hasSizeGreaterThanOrEqualTo(2);

            jvm.destroyForcibly(); // SIGKILL: no shutdown hook runs
            jvm.waitFor();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline && !marked(marker).isEmpty()) Thread.sleep(20);
            assertThat(marked(marker)).as("processes of the sandbox alive 10 s after the JVM was killed").isEmpty();
        } finally {
            jvm.destroyForcibly();
            for (long pid : marked(marker)) {
                try {
                    dev.cordon.internal.sys.Sys.kill((int) pid, 9);
                } catch (RuntimeException ignored) {
                    // gone
                }
            }
        }
    }
}
