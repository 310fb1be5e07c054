package dev.cordon.internal.limits.cgroup;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.nio.file.Path;

import static dev.cordon.internal.limits.cgroup.FakeCgroupFs.get;
import static dev.cordon.internal.limits.cgroup.FakeCgroupFs.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cgroup v2 logic against a fake cgroup v2 tree (this machine has no usable v2 hierarchy). */
class CgroupV2FakeTreeTest {
    @TempDir Path root;
    Path own;

    @BeforeEach
    void tree() {
        // /sys/fs/cgroup (root) -> user.slice -> app.scope, where "we" are.
        FakeCgroupFs.v2Dir(root, "cpuset cpu io memory hugetlb pids rdma misc");
        put(root.resolve("cgroup.subtree_control"), "cpu memory pids\n");
        FakeCgroupFs.v2Dir(root.resolve("user.slice"), "cpu memory pids");
        FakeCgroupFs.v2Dir(root.resolve("user.slice/app.scope"), "");
        own = root.resolve("user.slice/app.scope");
    }

    private CgroupSupport detect(String self) {
        return Cgroups.detect(FakeCgroupFs.mountinfoV2(root), "0::" + self + "\n", FakeCgroupFs.V2_KERNEL, true, false);
    }

    @Test
    void usesParentSubtreeWhenOwnCgroupCannotEnableControllers() {
        // Our own cgroup has no controllers available (its parent enables none for it): the parent is used.
        CgroupSupport s = detect("/user.slice/app.scope");
        assertThat(s).isInstanceOf(CgroupV2.class);
        CgroupV2 d = (CgroupV2) s;
        assertThat(d.parent()).isEqualTo(root.resolve("user.slice/cordon"));
        assertThat(Cgroups.words(get(root.resolve("user.slice/cgroup.subtree_control")))).contains("memory", "pids", "cpu");
        assertThat(Cgroups.words(get(d.parent().resolve("cgroup.subtree_control")))).contains("memory", "pids", "cpu");
        assertThat(d.describe()).contains("cgroup v2 (memory, pids, cpu)").contains("user.slice/cordon");
    }

    @Test
    void usesOwnCgroupWhenItCanEnableControllers() {
        CgroupSupport s = detect("/user.slice");
        assertThat(((CgroupV2) s).parent()).isEqualTo(root.resolve("user.slice/cordon"));
        CgroupSupport atRoot = detect("/");
        assertThat(((CgroupV2) atRoot).parent()).isEqualTo(root.resolve("cordon"));
    }

    @Test
    void ownCgroupRefusingSubtreeControlFallsBackToParent() {
        // The kernel says EBUSY when a non-root cgroup holding processes enables controllers; simulate a
        // failing write by making the control file unwritable in a way root cannot bypass (a directory).
        FakeCgroupFs.v2Dir(own, "cpu memory pids");
        Path control = own.resolve("cgroup.subtree_control");
        control.toFile().delete();
        control.toFile().mkdir();
        CgroupSupport s = detect("/user.slice/app.scope");
        assertThat(((CgroupV2) s).parent()).isEqualTo(root.resolve("user.slice/cordon"));
    }

    @Test
    void noControllersMeansUnavailableWithReason() {
        put(root.resolve("cgroup.controllers"), "\n");
        CgroupSupport s = detect("/user.slice/app.scope");
        assertThat(s).isInstanceOf(CgroupSupport.Unavailable.class);
        String reason = ((CgroupSupport.Unavailable) s).reason();
        assertThat(reason).contains("memory").contains("offers none").contains("Delegate=yes");
    }

    @Test
    void limitsAreWrittenToTheRightFiles() {
        CgroupV2 d = (CgroupV2) detect("/user.slice/app.scope");
        try (RunCgroup run = d.create("t", new CgroupLimits(64L << 20, 10))) {
            Path dir = ((CgroupV2.Run) run).dir();
            assertThat(dir.getFileName().toString()).matches("cordon-" + ProcessHandle.current().pid() + "-\\d+");
            assertThat(get(dir.resolve("memory.max"))).isEqualTo("67108864");
            assertThat(get(dir.resolve("memory.swap.max"))).isEqualTo("0");
            assertThat(get(dir.resolve("pids.max"))).isEqualTo("10");
            assertThat(run.describe()).startsWith("cgroup v2 (memory, pids, cpu) " + dir).doesNotContain("swap not limited");
            run.addProcess(4242);
            assertThat(get(dir.resolve("cgroup.procs"))).isEqualTo("4242");
        }
        try (RunCgroup run = d.create("t", CgroupLimits.NONE)) {
            Path dir = ((CgroupV2.Run) run).dir();
            assertThat(get(dir.resolve("memory.max"))).isEqualTo("max\n");
            assertThat(get(dir.resolve("memory.swap.max"))).isEqualTo("max\n");
            assertThat(get(dir.resolve("pids.max"))).isEqualTo("max\n");
        }
    }

    @Test
    void missingSwapFileIsReportedNotFatal() {
        CgroupV2 d = new CgroupV2(root.resolve("cordon-parent"), dir -> {
            FakeCgroupFs.V2_KERNEL.accept(dir);
            dir.resolve("memory.swap.max").toFile().delete();
        });
        FakeCgroupFs.v2Dir(root.resolve("cordon-parent"), "cpu memory pids");
        try (RunCgroup run = d.create("t", new CgroupLimits(1 << 20, 0))) {
            assertThat(run.describe()).contains("swap not limited");
        }
    }

    @Test
    void usageIsParsed() {
        CgroupV2 d = (CgroupV2) detect("/user.slice/app.scope");
        try (RunCgroup run = d.create("t", CgroupLimits.NONE)) {
            Path dir = ((CgroupV2.Run) run).dir();
            put(dir.resolve("cpu.stat"), "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\n"
                    + "nr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n");
            put(dir.resolve("memory.peak"), "31457280\n");
            put(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 17\noom 3\noom_kill 2\noom_group_kill 0\n");
            put(dir.resolve("pids.peak"), "7\n");
            put(dir.resolve("pids.events"), "max 4\n");
            assertThat(run.usage()).isEqualTo(new Usage(1_000_000, 500_000, 31457280, 2, 7, 4));

            // Older kernels: no memory.peak (before 5.19), no pids.peak, no oom_kill line.
            dir.resolve("memory.peak").toFile().delete();
            dir.resolve("pids.peak").toFile().delete();
            put(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 0\noom 0\n");
            assertThat(run.usage()).isEqualTo(new Usage(1_000_000, 500_000, -1, -1, -1, 4));
        }
    }

    @Test
    void killAllUsesCgroupKillAndCloseRemovesTheDirectoryOnce() {
        CgroupV2 d = (CgroupV2) detect("/user.slice/app.scope");
        RunCgroup run = d.create("t", CgroupLimits.NONE);
        Path dir = ((CgroupV2.Run) run).dir();
        assertThat(run.isEmpty()).isTrue();
        run.killAll();
        assertThat(get(dir.resolve("cgroup.kill"))).isEqualTo("1");
        put(dir.resolve("cgroup.events"), "populated 1\nfrozen 0\n");
        assertThat(run.isEmpty()).isFalse();
        put(dir.resolve("cgroup.events"), "populated 0\nfrozen 0\n");
        run.close();
        assertThat(dir).doesNotExist();
        run.close(); // idempotent, no error on the removed directory
    }

    @Test
    void cleanStaleRemovesDeadJvmsCgroupsOnly() throws Exception {
        CgroupV2 d = (CgroupV2) detect("/user.slice/app.scope");
        int dead = CgroupTestSupport.deadPid();
        Path stale = d.parent().resolve("cordon-" + dead + "-3");
        Files.createDirectory(stale);
        FakeCgroupFs.V2_KERNEL.accept(stale);
        Path other = d.parent().resolve("not-ours");
        Files.createDirectory(other);
        try (RunCgroup live = d.create("live", CgroupLimits.NONE)) {
            assertThat(d.cleanStale()).isEqualTo(1);
            assertThat(stale).doesNotExist();
            assertThat(((CgroupV2.Run) live).dir()).exists();
            assertThat(other).exists();
        }
    }

    @Test
    void writeErrorsNameFileAndValue() {
        CgroupV2 d = (CgroupV2) detect("/user.slice/app.scope");
        CgroupV2 broken = new CgroupV2(d.parent(), dir -> {
            FakeCgroupFs.V2_KERNEL.accept(dir);
            dir.resolve("pids.max").toFile().delete();
        });
        assertThatThrownBy(() -> broken.create("t", new CgroupLimits(0, 5)))
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining("cannot write '5' to ").hasMessageContaining("pids.max");
        // The half-made cgroup was removed again.
        assertThat(CgroupFs.subdirs(d.parent())).isEmpty();
    }

    /**
     * Kernels before 5.14 have no cgroup.kill: freeze, SIGKILL each listed pid, thaw (or, before 5.2, pidfd
     * kills re-checked against the list). Real processes here; a thread plays the kernel and drops dead
     * pids from the fake cgroup.procs.
     */
    @ParameterizedTest(name = "cgroup.freeze present: {0}")
    @ValueSource(booleans = {true, false})
    void killAllWithoutCgroupKill(boolean hasFreeze) throws Exception {
        CgroupV2 d = (CgroupV2) detect("/user.slice/app.scope");
        RunCgroup run = d.create("old-kernel", CgroupLimits.NONE);
        Path dir = ((CgroupV2.Run) run).dir();
        Files.delete(dir.resolve("cgroup.kill"));
        Files.delete(dir.resolve("cgroup.events"));
        if (!hasFreeze) Files.delete(dir.resolve("cgroup.freeze"));
        List<Process> sleeps = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread kernel = null;
        try {
            for (int i = 0; i < 3; i++) sleeps.add(new ProcessBuilder("/bin/sleep", "100").start());
            Path procs = dir.resolve("cgroup.procs");
            replace(procs, sleeps.stream().map(p -> p.pid() + "\n").reduce("", String::concat));
            kernel = Thread.ofPlatform().daemon().start(() -> {
                while (!stop.get()) {
                    String alive = sleeps.stream().filter(Process::isAlive).map(p -> p.pid() + "\n").reduce("", String::concat);
                    replace(procs, alive);
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            assertThat(run.isEmpty()).isFalse();
            run.killAll();
            assertThat(run.isEmpty()).isTrue();
            for (Process p : sleeps) {
                assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isEqualTo(137);
            }
            if (hasFreeze) assertThat(get(dir.resolve("cgroup.freeze"))).isEqualTo("0");
        } finally {
            stop.set(true);
            if (kernel != null) kernel.join();
            sleeps.forEach(Process::destroyForcibly);
            run.close();
        }
    }

    /** Atomic replacement, so that a reader never sees half a pid. */
    private static void replace(Path file, String content) {
        try {
            Path tmp = Files.createTempFile(file.getParent().getParent(), "procs", ".tmp");
            Files.writeString(tmp, content);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
