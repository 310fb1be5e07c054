package dev.cordon;

import dev.cordon.cli.CliTest;
import dev.cordon.internal.sys.ProcFs;
import dev.cordon.testkit.TestKit;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JVM running Cordon is killed with SIGKILL in the middle of a run: every process of the sandbox, including
 * one that double-forked and called setsid, must be dead within a second (for root and an ordinary user alike:
 * the suite runs as both).
 */
class SupervisorDeathTest {
    static boolean gone(long pid) {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(stat)) return true;
        try {
            String s = ProcFs.read(stat);
            return s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return true;
        }
    }

    @Test
    void killingTheJvmKillsTheWholeSandbox() throws Exception {
        String probe = TestKit.probe().toString();
        List<String> cmd = new ArrayList<>(CliTest.javaCommand());
        cmd.addAll(List.of("run", "-q", "--read", "/usr", "--exec", "/usr", "--exec", "/lib64", "--exec", probe,
                "--env", "PATH=/usr/bin:/bin", "--", "sh", "-c", probe + " escape; echo sh=$$; exec sleep 100"));
        Process jvm = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<Long> pids = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.matches("\\d+")) pids.add(Long.parseLong(line));          // the setsid grandchild
                if (line.startsWith("sh=")) {                                      // the program, now sleep
                    pids.add(Long.parseLong(line.substring(3)));
                    break;
                }
            }
            assertThat(pids).as("pids reported by the sandbox").hasSize(2);
            for (long pid : pids) assertThat(gone(pid)).as("pid %d alive before the kill", pid).isFalse();

            jvm.destroyForcibly(); // SIGKILL: no shutdown hook runs
            jvm.waitFor();
            long deadline = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < deadline && !pids.stream().allMatch(SupervisorDeathTest::gone)) Thread.sleep(10);
            for (long pid : pids) assertThat(gone(pid)).as("pid %d alive a second after the JVM was killed", pid).isTrue();
        } finally {
            jvm.destroyForcibly();
            for (long pid : pids) {
                try {
                    dev.cordon.internal.sys.Sys.kill((int) pid, 9);
                } catch (RuntimeException ignored) {
                    // gone, as it should be
                }
            }
        }
    }
}
