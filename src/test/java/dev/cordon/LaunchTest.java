package dev.cordon;

import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Launch failures are reported as such, and many sandboxes run at once beside the JDK's own processes. */
class LaunchTest {
    @Test
    void missingProgramIsNotFound() {
        assertThatThrownBy(() -> TestKit.run(TestKit.system().build(), List.of("no-such-program-xyz")))
                .isInstanceOfSatisfying(LaunchException.class, e -> {
                    assertThat(e.reason()).isEqualTo(LaunchException.Reason.NOT_FOUND);
                    assertThat(e.getMessage()).contains("no-such-program-xyz");
                });
        assertThatThrownBy(() -> TestKit.run(TestKit.system().build(), List.of("/nonexistent/prog")))
                .isInstanceOfSatisfying(LaunchException.class,
                        e -> assertThat(e.reason()).isEqualTo(LaunchException.Reason.NOT_FOUND));
    }

    @Test
    void nonExecutableFileIsReported() {
        Path dir = TestKit.newDir("noexec");
        Path file = TestKit.file(dir, "script", "#!/bin/sh\necho hi\n");
        assertThatThrownBy(() -> TestKit.run(TestKit.system().execute(dir.toString()).build(), List.of(file.toString())))
                .isInstanceOfSatisfying(LaunchException.class, e -> {
                    assertThat(e.reason()).isEqualTo(LaunchException.Reason.NOT_EXECUTABLE);
                    assertThat(e.program()).isEqualTo(file);
                });
    }

    @Test
    void programOutsideExecuteRulesIsDeniedByPolicy() {
        assertThatThrownBy(() -> TestKit.run(Policy.builder().read("/usr").build(), List.of("/usr/bin/true")))
                .isInstanceOfSatisfying(LaunchException.class,
                        e -> assertThat(e.reason()).isEqualTo(LaunchException.Reason.DENIED_BY_POLICY));
    }

    @Test
    void nonexistentRulePathIsAPolicyError() {
        assertThatThrownBy(() -> TestKit.run(Policy.builder().read("/no/such/dir").build(), List.of("/usr/bin/true")))
                .isInstanceOf(PolicyException.class).hasMessage("path /no/such/dir does not exist");
    }

    /**
     * The report's process list: the program itself (its own executable and command line, not the JVM's it had
     * while held), and each process it started, with its parent, executable, arguments and exit code.
     */
    @Test
    void processListNamesEveryProcessWithItsParentExecutableAndArguments() throws Exception {
        Path sh = Path.of("/bin/sh").toRealPath();
        Path trueBin = Path.of("/bin/true").toRealPath();
        Ran r = TestKit.run(TestKit.system().build(), List.of("/bin/sh", "-c", "/bin/true one two; (exit 3); exit 5"));
        assertThat(r.exit()).isEqualTo(5);
        List<SandboxedProcessInfo> procs = r.result().processes();
        SandboxedProcessInfo root = procs.getFirst();
        assertThat(root.pid()).isEqualTo(r.result().pid());
        assertThat(root.parent()).isZero();
        assertThat(root.executable()).isEqualTo(sh.toString());
        assertThat(root.commandLine()).containsExactly("/bin/sh", "-c", "/bin/true one two; (exit 3); exit 5");
        assertThat(root.exitCode()).isEqualTo(5);
        SandboxedProcessInfo child = procs.stream().filter(p -> p.commandLine().contains("one")).findFirst().orElseThrow();
        assertThat(child.parent()).isEqualTo(root.pid());
        assertThat(child.executable()).isEqualTo(trueBin.toString());
        assertThat(child.commandLine()).containsExactly("/bin/true", "one", "two");
        assertThat(child.exitCode()).isZero();
        // The subshell: a fork of sh that never exec'd, so it keeps sh's executable and command line.
        assertThat(procs).anySatisfy(p -> {
            assertThat(p.parent()).isEqualTo(root.pid());
            assertThat(p.executable()).isEqualTo(sh.toString());
            assertThat(p.exitCode()).isEqualTo(3);
        });
    }

    @Test
    void manySandboxesRunAtOnceBesideProcessBuilder() throws Exception {
        List<CompletableFuture<Ran>> runs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int n = i;
            runs.add(CompletableFuture.supplyAsync(() ->
                    TestKit.run(TestKit.system().build(), List.of("sh", "-c", "sleep 0.2; echo " + n + "; exit " + n))));
        }
        // The JDK's own children keep working: nothing waits for "any child".
        Process plain = new ProcessBuilder("sh", "-c", "sleep 0.3; exit 7").start();
        for (int i = 0; i < runs.size(); i++) {
            Ran r = runs.get(i).get();
            assertThat(r.stdout()).isEqualTo(i + "\n");
            assertThat(r.exit()).isEqualTo(i);
        }
        assertThat(plain.waitFor()).isEqualTo(7);
    }

    @Test
    void resultCarriesFiguresAndLayers() {
        Ran r = TestKit.run(TestKit.system().build(), List.of("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"));
        RunResult result = r.result();
        assertThat(result.exitStatus()).isZero();
        assertThat(result.userTime().plus(result.systemTime()).toMillis()).isPositive();
        assertThat(result.wallTime()).isGreaterThanOrEqualTo(result.userTime());
        assertThat(result.layers()).anyMatch(l -> l.startsWith("landlock abi")).anyMatch(l -> l.startsWith("seccomp filter"));
        assertThat(result.notEnforced()).isEmpty();
    }

    @Test
    void destroyKillsTheWholeSandbox() throws Exception {
        try (SandboxProcess p = new SandboxBuilder(TestKit.system().build(), "sh", "-c", "sleep 100 & sleep 100").start()) {
            Thread.sleep(200);
            p.destroy();
            RunResult r = p.waitFor();
            assertThat(r.termination()).isEqualTo(new Termination.Signaled(9));
            assertThat(r.notEnforced()).isEmpty();
        }
    }

    @Test
    void standardInputFromAString() throws Exception {
        try (SandboxProcess p = new SandboxBuilder(TestKit.system().build(), "tr", "a-z", "A-Z")
                .stdin(Redirect.fromString("judge input\n")).start()) {
            assertThat(new String(p.stdout().readAllBytes())).isEqualTo("JUDGE INPUT\n");
            assertThat(p.waitFor().verdict()).isEqualTo(Verdict.OK);
        }
    }

    @Test
    void cpuTimeLimitStopsTheProgram() {
        Ran r = TestKit.run(TestKit.system().limits(Limits.NONE.withCpuTime(java.time.Duration.ofSeconds(1))).build(),
                List.of("sh", "-c", "while :; do :; done"));
        assertThat(r.result().verdict()).isEqualTo(Verdict.TIME_LIMIT);
        assertThat(r.result().limitExceeded()).contains(LimitExceeded.CPU_TIME);
        // With a cgroup the supervisor kills the tree; without one RLIMIT_CPU sends SIGXCPU.
        assertThat(r.result().termination()).isIn(new Termination.Signaled(9), new Termination.Signaled(24));
    }
}
