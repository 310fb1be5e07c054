package dev.cordon.internal.limits.cgroup;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The cgroup v2 path with the real kernel. Runs only where a writable cgroup v2 subtree with the memory,
 * pids and cpu controllers exists (pure v2 machines, delegated subtrees); elsewhere it is SKIPPED, and
 * {@link CgroupV2FakeTreeTest} covers the v2 logic.
 */
class CgroupV2RealTest extends RealCgroupContract {
    static CgroupV2 driver;
    static CgroupSupport found;

    @BeforeAll
    static void find() {
        found = Cgroups.detectOnly(true, false);
        System.out.println("cgroup v2 detection: " + found);
        if (found instanceof CgroupV2 v2) driver = v2;
    }

    /** Per test, so that every real-v2 test shows up as skipped, with the reason. */
    @BeforeEach
    void requireV2() {
        assumeTrue(driver != null, () -> "REAL CGROUP V2 PATH SKIPPED: no writable cgroup v2 hierarchy with "
                + "memory, pids, cpu on this machine (" + found + "); CgroupV2FakeTreeTest covers the v2 logic");
    }

    @Override
    CgroupDriver driver() {
        return driver;
    }

    @Override
    List<Path> dirsOf(RunCgroup run) {
        return List.of(((CgroupV2.Run) run).dir());
    }

    @Override
    List<Path> parents() {
        return List.of(driver.parent());
    }
}
