package dev.cordon.internal.limits.cgroup;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The cgroup v1 path with the real kernel; runs where memory, pids and cpuacct v1 hierarchies are writable. */
class CgroupV1RealTest extends RealCgroupContract {
    static CgroupV1 driver;

    @BeforeAll
    static void find() {
        CgroupSupport s = Cgroups.detectOnly(false, true);
        System.out.println("cgroup v1 detection: " + s);
        assumeTrue(s instanceof CgroupV1, () -> "no writable cgroup v1 memory+pids+cpuacct hierarchies here: " + s);
        driver = (CgroupV1) s;
    }

    @Override
    CgroupDriver driver() {
        return driver;
    }

    @Override
    List<Path> dirsOf(RunCgroup run) {
        return ((CgroupV1.Run) run).dirs();
    }

    @Override
    List<Path> parents() {
        return driver.hierarchies().stream().map(CgroupV1.Hierarchy::parent).toList();
    }

    @Test
    void killAllWithoutFreezerStopsAForkBomb() throws Exception {
        // The fallback for machines without a freezer hierarchy: kill what is listed until nothing is.
        CgroupV1 noFreezer = new CgroupV1(driver.hierarchies().stream()
                .filter(h -> !h.controllers().equals(java.util.Set.of(CgroupV1.FREEZER))).toList(), CgroupFs.KERNEL);
        try (RunCgroup run = noFreezer.create("bomb", new CgroupLimits(256 * MiB, 200))) {
            assertThat(run.describe()).doesNotContain("freezer");
            Process p = held(ProcessBuilder.Redirect.DISCARD, "/bin/sh", "-c", "f() { f & f & wait; }; echo go; f");
            run.addProcess((int) p.pid());
            release(p);
            assertThat(new String(p.getInputStream().readNBytes(2))).isEqualTo("go");
            for (int i = 0; i < 5000 && run.usage().pidsLimitHits() < 1; i++) Thread.sleep(1);
            run.killAll();
            assertThat(run.isEmpty()).isTrue();
            await(p);
        }
    }

    @Test
    void detectFindsThisMachinesHierarchies() {
        // What the default detection (v2 first) picks on this machine; printed for the record.
        CgroupSupport s = Cgroups.detect();
        System.out.println("Cgroups.detect(): " + s);
        assertThat(Cgroups.detect()).isSameAs(s);
        if (s instanceof CgroupV1 v1) assertThat(v1.describe()).startsWith("cgroup v1 (memory, pids, cpuacct");
    }
}
