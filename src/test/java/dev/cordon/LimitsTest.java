package dev.cordon;

import dev.cordon.internal.limits.cgroup.CgroupDriver;
import dev.cordon.internal.limits.cgroup.Cgroups;
import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Limits for the whole tree and the verdict of each run. With a cgroup (root here) every limit holds for
 * the tree; without one (an ordinary user here) the fallbacks are per process and are named as such.
 */
class LimitsTest {
    static final boolean CGROUP = Cgroups.detect() instanceof CgroupDriver;
    static final long MIB = 1 << 20;
    private static Path hog;

    static synchronized Path hog() {
        if (hog == null) hog = TestKit.compile("hog", TestKit.resource("c/hog.c"), "-static");
        return hog;
    }

    static Ran hog(Limits limits, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(hog().toString()));
        cmd.addAll(List.of(args));
        return TestKit.run(Policy.builder().execute(hog().toString()).limits(limits).build(), cmd);
    }

    static final Limits MEM_256 = Limits.NONE.withMemory(256 * MIB).withWallTime(Duration.ofSeconds(20));

    @Test
    void allocatingMoreThanTheLimitIsMemoryLimit() {
        Ran r = hog(MEM_256, "mem", "300");
        if (CGROUP) {
            assertThat(r.result().verdict()).isEqualTo(Verdict.MEMORY_LIMIT);
            assertThat(r.result().termination()).isEqualTo(new Termination.Signaled(9));
            assertThat(r.result().layers()).anyMatch(l -> l.startsWith("limits and accounting: cgroup"));
        } else {
            // Per-process RLIMIT_DATA: the allocation fails inside the program, which exits with an error.
            assertThat(r.result().verdict()).isEqualTo(Verdict.RUNTIME_ERROR);
            assertThat(r.stderr()).contains("malloc: Cannot allocate memory");
            assertThat(r.result().layers()).anyMatch(l -> l.startsWith("memory limit per process (RLIMIT_DATA)"));
        }
    }

    @Test
    void memorySpreadOverProcessesIsStillCaught() {
        Ran r = hog(MEM_256.withWallTime(Duration.ofSeconds(5)), "spread", "8", "40");
        if (CGROUP) {
            assertThat(r.result().verdict()).isEqualTo(Verdict.MEMORY_LIMIT);
        } else {
            // The honest failure of per-process limits: 8 x 40 MiB passes a 256 MiB RLIMIT_DATA. The run ends
            // at the wall-time limit because the children wait to be killed.
            assertThat(r.result().verdict()).isEqualTo(Verdict.TIME_LIMIT);
        }
    }

    @Test
    void usingLessThanTheLimitIsOkWithThePeakMeasured() {
        Ran r = hog(MEM_256, "mem", "100");
        assertThat(r.result().verdict()).isEqualTo(Verdict.OK);
        assertThat(r.stdout()).isEqualTo("touched 100 MiB\n");
        if (CGROUP) {
            System.out.printf("peak memory for 100 MiB touched: %.1f MiB%n", r.result().peakMemoryBytes() / (double) MIB);
            assertThat(r.result().peakMemoryBytes()).isBetween(100 * MIB, 110 * MIB);
        } else {
            assertThat(r.result().peakMemoryBytes()).isEqualTo(-1);
        }
    }

    @Test
    void cpuTimeOfTheWholeTreeIsLimited() {
        Ran r = hog(Limits.NONE.withCpuTime(Duration.ofSeconds(1)).withWallTime(Duration.ofSeconds(30)), "cpu", "4");
        assertThat(r.result().verdict()).isEqualTo(Verdict.TIME_LIMIT);
        Duration cpu = r.result().userTime().plus(r.result().systemTime());
        System.out.println("CPU reported for 4 burners under a 1 s limit: " + cpu.toMillis() + " ms, via " + r.result().measuredBy());
        if (CGROUP) {
            assertThat(r.result().limitExceeded()).contains(LimitExceeded.CPU_TIME);
            assertThat(cpu).isBetween(Duration.ofMillis(1000), Duration.ofMillis(1300));
        } else {
            // RLIMIT_CPU holds per process: each burner is stopped after one second of its own.
            assertThat(r.result().layers()).contains("CPU time limit per process (RLIMIT_CPU), no cgroup");
        }
    }

    @Test
    void wallTimeLimitEndsASleepingProgram() {
        hog();
        long start = System.nanoTime();
        Ran r = hog(Limits.NONE.withWallTime(Duration.ofSeconds(1)), "sleep", "100");
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.result().verdict()).isEqualTo(Verdict.TIME_LIMIT);
        assertThat(r.result().limitExceeded()).contains(LimitExceeded.WALL_TIME);
        System.out.println("sleep 100 under a 1 s wall limit ended after " + elapsedMillis + " ms");
        assertThat(r.result().wallTime()).isLessThan(Duration.ofMillis(1500));
    }

    @Test
    void forkBombIsProcessLimit() throws Exception {
        Limits limits = Limits.NONE.withProcesses(32).withWallTime(Duration.ofSeconds(10));
        Ran r = hog(limits, "forkbomb");
        assertThat(r.result().verdict()).isEqualTo(Verdict.PROCESS_LIMIT);
        if (CGROUP) {
            assertThat(r.result().peakProcesses()).isLessThanOrEqualTo(32);
        } else {
            // No cgroup: the ptrace guard counts the tree and kills it once the limit is exceeded.
            assertThat(r.result().layers()).anyMatch(l -> l.startsWith("process limit by the ptrace guard"));
            assertThat(r.result().limitExceeded()).contains(LimitExceeded.PROCESSES);
        }
        // The machine stays usable: the JDK can still start a process at once.
        assertThat(new ProcessBuilder("true").start().waitFor()).isZero();
    }

    @Test
    void writingMoreThanTheOutputLimitIsOutputLimit() {
        Ran r = hog(Limits.NONE.withOutput(10 * MIB), "out", "100");
        assertThat(r.result().verdict()).isEqualTo(Verdict.OUTPUT_LIMIT);
        assertThat(r.stdout().length()).isEqualTo(10 * MIB);
        assertThat(r.result().stdoutBytes()).isGreaterThan(10 * MIB);
    }

    @Test
    void outputWithinTheLimitIsCounted() {
        Ran r = hog(Limits.NONE.withOutput(10 * MIB), "out", "1");
        assertThat(r.result().verdict()).isEqualTo(Verdict.OK);
        assertThat(r.result().stdoutBytes()).isEqualTo(MIB);
        assertThat(r.result().stderrBytes()).isZero();
        assertThat(r.stdout().length()).isEqualTo(MIB);
    }

    @Test
    void fileSizeLimitIsOutputLimit() {
        Path dir = TestKit.newDir("fsize");
        Ran r = TestKit.run(Policy.builder().execute(hog().toString()).write(dir.toString())
                .limits(Limits.NONE.withFileSize(MIB)).build(), List.of(hog().toString(), "file", dir.resolve("big").toString(), "5"));
        assertThat(r.result().verdict()).isEqualTo(Verdict.OUTPUT_LIMIT);
        assertThat(r.result().limitExceeded()).contains(LimitExceeded.FILE_SIZE);
    }

    @Test
    void nonZeroExitIsRuntimeErrorAndForeignSyscallIsPolicyViolation() {
        Ran re = TestKit.run(TestKit.system().build(), List.of("sh", "-c", "exit 3"));
        assertThat(re.result().verdict()).isEqualTo(Verdict.RUNTIME_ERROR);
        Ran ok = TestKit.run(TestKit.system().build(), List.of("true"));
        assertThat(ok.result().verdict()).isEqualTo(Verdict.OK);
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.cordon.internal.syscalls.Arch.current()
                == dev.cordon.internal.syscalls.Arch.X86_64, "int 0x80 exists on x86_64 only");
        assertThat(TestKit.probe(Policy.builder(), "int80").result().verdict()).isEqualTo(Verdict.POLICY_VIOLATION);
    }

    @Test
    void python3RunsUnderAMemoryLimit() {
        Ran r = TestKit.run(TestKit.system().limits(MEM_256).build(),
                List.of("python3", "-c", "print(sum(range(10**6)))"));
        assertThat(r.result().verdict()).isEqualTo(Verdict.OK);
        assertThat(r.stdout()).isEqualTo("499999500000\n");
    }
}
