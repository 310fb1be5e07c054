package dev.cordon.internal.limits.cgroup;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real kernel, real processes: the same checks for whichever cgroup version the subclass found usable.
 * Processes are held by a shell waiting on stdin until they have been moved into the run's cgroup.
 */
abstract class RealCgroupContract {
    static final long MiB = 1 << 20;
    static final String PYTHON = "/usr/bin/python3";

    abstract CgroupDriver driver();

    /** The run's directories (one per hierarchy for v1). */
    abstract List<Path> dirsOf(RunCgroup run);

    /** The parent directories runs are created in. */
    abstract List<Path> parents();

    private final List<RunCgroup> runs = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    RunCgroup create(CgroupLimits limits) {
        RunCgroup run = driver().create("test", limits);
        runs.add(run);
        return run;
    }

    @AfterEach
    void cleanUp() {
        for (Process p : processes) p.destroyForcibly();
        for (RunCgroup r : runs) {
            try {
                r.close();
            } catch (RuntimeException e) {
                System.out.println("cleanup: " + e.getMessage());
            }
        }
    }

    /** Starts {@code argv} behind {@code sh -c 'read x; exec "$@"'}: it runs once {@link #release} is called. */
    Process held(String... argv) throws IOException {
        return held(ProcessBuilder.Redirect.INHERIT, argv);
    }

    Process held(ProcessBuilder.Redirect stderr, String... argv) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", "read x; exec \"$@\"", "sh"));
        cmd.addAll(List.of(argv));
        Process p = new ProcessBuilder(cmd).redirectError(stderr).start();
        processes.add(p);
        return p;
    }

    static void release(Process p) throws IOException {
        OutputStream in = p.getOutputStream();
        in.write('\n');
        in.close();
    }

    static int await(Process p) throws InterruptedException {
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("process finished").isTrue();
        return p.exitValue();
    }

    /** Runs python code inside a fresh run cgroup with these limits; returns exit status and usage. */
    record Ran(int exit, Usage usage) {}

    Ran python(CgroupLimits limits, String code) throws Exception {
        RunCgroup run = create(limits);
        Process p = held(PYTHON, "-c", code);
        run.addProcess((int) p.pid());
        release(p);
        int exit = await(p);
        return new Ran(exit, run.usage());
    }

    @Test
    void memoryLimitKillsAndCountsOomKill() throws Exception {
        Ran r = python(new CgroupLimits(64 * MiB, 0), "b = b'x' * (100 << 20)\nprint(len(b))");
        System.out.println("[" + name() + "] 100 MiB under a 64 MiB limit: exit " + r.exit() + ", " + r.usage());
        assertThat(r.exit()).as("killed by SIGKILL (128 + 9)").isEqualTo(137);
        assertThat(r.usage().oomKills()).isGreaterThanOrEqualTo(1);
        assertThat(r.usage().memoryPeakBytes()).isLessThanOrEqualTo(64 * MiB);
    }

    @Test
    void memoryPeakMatchesAllocation() throws Exception {
        // The interpreter's own footprint, measured the same way, is subtracted.
        Ran base = python(new CgroupLimits(256 * MiB, 0), "b = b'x' * 1\n");
        Ran r = python(new CgroupLimits(256 * MiB, 0), "b = b'x' * (30 << 20)\n");
        long extra = r.usage().memoryPeakBytes() - base.usage().memoryPeakBytes();
        System.out.printf("[%s] python baseline peak %.2f MiB; with 30 MiB allocated %.2f MiB; difference %.2f MiB%n",
                name(), base.usage().memoryPeakBytes() / (double) MiB, r.usage().memoryPeakBytes() / (double) MiB,
                extra / (double) MiB);
        assertThat(base.exit()).isZero();
        assertThat(r.exit()).isZero();
        assertThat(r.usage().oomKills()).isZero();
        // Tolerance: the difference is the allocation plus allocator/page rounding, within 10% above.
        assertThat(extra).isBetween(30 * MiB - MiB, 33 * MiB);
        assertThat(r.usage().memoryPeakBytes()).isGreaterThanOrEqualTo(30 * MiB);
    }

    @Test
    void cpuTimeIsCounted() throws Exception {
        Ran r = python(CgroupLimits.NONE,
                // Check the clock only every 100k iterations: process_time() is a system call, and mostly user time is wanted.
                "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5:\n    for _ in range(100000): pass\n");
        Usage u = r.usage();
        System.out.printf("[%s] ~0.5 s CPU burner: user %.3f s, system %.3f s, total %.3f s%n", name(),
                u.cpuUserNanos() / 1e9, u.cpuSystemNanos() / 1e9, u.cpuTotalNanos() / 1e9);
        assertThat(r.exit()).isZero();
        assertThat(u.cpuTotalNanos()).isBetween(400_000_000L, 800_000_000L);
        assertThat(u.cpuUserNanos()).isGreaterThan(u.cpuSystemNanos());
    }

    @Test
    void pidsLimitStopsForks() throws Exception {
        RunCgroup run = create(new CgroupLimits(0, 10));
        // 30 background sleeps; from the 10th task on, fork fails with EAGAIN.
        Process p = held(ProcessBuilder.Redirect.DISCARD, "/bin/sh", "-c", "i=0; while [ $i -lt 30 ]; do sleep 30 >/dev/null & i=$((i+1)); done; echo done; wait");
        run.addProcess((int) p.pid());
        release(p);
        // Wait until the shell is done forking (it prints, or gives up), without timing assumptions.
        String out = new String(p.getInputStream().readNBytes(5), StandardCharsets.US_ASCII);
        Usage u = run.usage();
        System.out.println("[" + name() + "] fork loop under pids.max=10: stdout '" + out.strip() + "', " + u);
        assertThat(u.pidsLimitHits()).isGreaterThanOrEqualTo(1);
        if (u.pidsPeak() >= 0) assertThat(u.pidsPeak()).isEqualTo(10);
        run.killAll();
        assertThat(run.isEmpty()).isTrue();
        await(p);
    }

    @Test
    void killAllKillsDoubleForkedProcesses() throws Exception {
        RunCgroup run = create(CgroupLimits.NONE);
        // One sleep escapes the shell's process tree (its parent exits), two more are the shell's children.
        Process p = held("/bin/sh", "-c", "(sleep 100 &); sleep 100 & sleep 100 & echo up; wait");
        run.addProcess((int) p.pid());
        release(p);
        assertThat(new String(p.getInputStream().readNBytes(2), StandardCharsets.US_ASCII)).isEqualTo("up");
        assertThat(run.isEmpty()).isFalse();
        run.killAll();
        assertThat(run.isEmpty()).isTrue();
        assertThat(await(p)).isEqualTo(137);
    }

    @Test
    void killAllStopsAForkBomb() throws Exception {
        RunCgroup run = create(new CgroupLimits(256 * MiB, 200));
        Process p = held(ProcessBuilder.Redirect.DISCARD, "/bin/sh", "-c", "f() { f & f & wait; }; echo go; f");
        run.addProcess((int) p.pid());
        release(p);
        assertThat(new String(p.getInputStream().readNBytes(2), StandardCharsets.US_ASCII)).isEqualTo("go");
        // Let it grow until the pids limit pushes back.
        for (int i = 0; i < 5000 && run.usage().pidsLimitHits() < 1; i++) Thread.sleep(1);
        run.killAll();
        System.out.println("[" + name() + "] fork bomb under pids.max=200 killed: " + run.usage());
        assertThat(run.isEmpty()).isTrue();
        await(p);
    }

    @Test
    void closeRemovesDirectoriesAndIsIdempotent() throws Exception {
        RunCgroup run = create(new CgroupLimits(64 * MiB, 50));
        List<Path> dirs = dirsOf(run);
        assertThat(dirs).allSatisfy(d -> assertThat(d).isDirectory());
        Process p = held("/bin/sleep", "100");
        run.addProcess((int) p.pid());
        release(p);
        assertThat(run.describe()).contains(dirs.getFirst().toString());
        run.close();
        assertThat(dirs).allSatisfy(d -> assertThat(d).doesNotExist());
        assertThat(await(p)).isEqualTo(137);
        run.close();
    }

    @Test
    void createAndClose200WithoutLeaks() {
        for (int i = 0; i < 200; i++) {
            RunCgroup run = driver().create("leak-" + i, new CgroupLimits(32 * MiB, 20));
            run.close();
        }
        String prefix = "cordon-" + ProcessHandle.current().pid() + "-";
        List<Path> left = new ArrayList<>();
        for (Path parent : parents()) {
            for (Path d : CgroupFs.subdirs(parent)) if (d.getFileName().toString().startsWith(prefix)) left.add(d);
        }
        runs.forEach(r -> left.removeAll(dirsOf(r)));
        assertThat(left).isEmpty();
    }

    @Test
    void cleanStaleRemovesDeadJvmsCgroupsAndKillsTheirProcesses() throws Exception {
        int dead = CgroupTestSupport.deadPid();
        String staleName = "cordon-" + dead + "-1";
        List<Path> staleDirs = parents().stream().map(p -> p.resolve(staleName)).toList();
        Process orphan = null;
        try {
            RunCgroup live = create(CgroupLimits.NONE); // also makes the parents, removed when unused
            for (Path d : staleDirs) Files.createDirectory(d);
            orphan = held("/bin/sleep", "100");
            for (Path d : staleDirs) Files.writeString(d.resolve("cgroup.procs"), Long.toString(orphan.pid()));
            release(orphan);

            int removed = driver().cleanStale();

            System.out.println("[" + name() + "] cleanStale removed " + removed + " (stale pid " + dead + ")");
            assertThat(removed).isGreaterThanOrEqualTo(1);
            assertThat(staleDirs).allSatisfy(d -> assertThat(d).doesNotExist());
            assertThat(await(orphan)).isEqualTo(137);
            assertThat(dirsOf(live)).allSatisfy(d -> assertThat(d).isDirectory());
        } finally {
            if (orphan != null) orphan.destroyForcibly().waitFor();
            for (Path d : staleDirs) CgroupFs.rmdir(d);
        }
    }

    String name() {
        return getClass().getSimpleName();
    }
}
