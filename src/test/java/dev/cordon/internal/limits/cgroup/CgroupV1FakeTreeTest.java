package dev.cordon.internal.limits.cgroup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static dev.cordon.internal.limits.cgroup.FakeCgroupFs.get;
import static dev.cordon.internal.limits.cgroup.FakeCgroupFs.put;
import static org.assertj.core.api.Assertions.assertThat;

/** Cgroup v1 detection and limit writing against a fake tree: co-mounted cpu,cpuacct, no freezer. */
class CgroupV1FakeTreeTest {
    @TempDir Path root;

    private String mountinfo() {
        return "31 23 0:28 / " + root + " rw,relatime - tmpfs tmpfs rw,mode=755\n"
                + "32 31 0:29 / " + root.resolve("cpu,cpuacct") + " rw,relatime shared:5 - cgroup cgroup rw,cpu,cpuacct\n"
                + "35 31 0:32 / " + root.resolve("memory") + " rw,relatime - cgroup cgroup rw,memory\n"
                + "39 31 0:36 / " + root.resolve("pids") + " rw,relatime - cgroup cgroup rw,pids\n"
                + "40 31 0:37 / " + root.resolve("systemd") + " rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
                + "41 31 0:38 / " + root.resolve("unified") + " rw,relatime - cgroup2 cgroup2 rw\n";
    }

    private static final String SELF = "12:pids:/user.slice\n5:cpu,cpuacct:/\n4:memory:/docker/abc\n1:name=systemd:/x\n0::/x\n";

    @Test
    void detectsHierarchiesBelowOwnCgroupsAndWritesLimits() {
        for (String h : List.of("cpu,cpuacct", "memory", "pids", "unified")) put(root.resolve(h).resolve("cgroup.procs"), "");
        put(root.resolve("unified/cgroup.controllers"), "\n");
        for (String own : List.of("memory/docker/abc", "pids/user.slice")) FakeCgroupFs.v1Dir(root.resolve(own));

        CgroupSupport s = Cgroups.detect(mountinfo(), SELF, FakeCgroupFs.V1_KERNEL);

        assertThat(s).isInstanceOf(CgroupV1.class);
        CgroupV1 d = (CgroupV1) s;
        assertThat(d.hierarchies()).containsExactly(
                new CgroupV1.Hierarchy(Set.of("memory"), root.resolve("memory/docker/abc/cordon")),
                new CgroupV1.Hierarchy(Set.of("pids"), root.resolve("pids/user.slice/cordon")),
                new CgroupV1.Hierarchy(Set.of("cpuacct"), root.resolve("cpu,cpuacct/cordon")));
        assertThat(d.describe()).startsWith("cgroup v1 (memory, pids, cpuacct) under");

        // A parent removed by the last run's close is made again.
        root.resolve("pids/user.slice/cordon/cgroup.procs").toFile().delete();
        root.resolve("pids/user.slice/cordon/tasks").toFile().delete();
        root.resolve("pids/user.slice/cordon/memory.limit_in_bytes").toFile().delete();
        root.resolve("pids/user.slice/cordon/memory.memsw.limit_in_bytes").toFile().delete();
        root.resolve("pids/user.slice/cordon/pids.max").toFile().delete();
        assertThat(root.resolve("pids/user.slice/cordon").toFile().delete()).isTrue();

        try (RunCgroup run = d.create("t", new CgroupLimits(100_000_000, 33))) {
            List<Path> dirs = ((CgroupV1.Run) run).dirs();
            assertThat(dirs).hasSize(3).allSatisfy(p -> assertThat(p).isDirectory());
            assertThat(dirs.stream().map(p -> p.getFileName().toString()).distinct()).hasSize(1);
            Path mem = dirs.getFirst();
            assertThat(get(mem.resolve("memory.limit_in_bytes"))).isEqualTo("100000000");
            assertThat(get(mem.resolve("memory.memsw.limit_in_bytes"))).isEqualTo("100000000");
            assertThat(get(dirs.get(1).resolve("pids.max"))).isEqualTo("33");
            run.addProcess(77);
            assertThat(dirs).allSatisfy(p -> assertThat(get(p.resolve("cgroup.procs"))).isEqualTo("77"));
            put(mem.resolve("cgroup.procs"), "");
            put(dirs.get(1).resolve("cgroup.procs"), "");
            put(dirs.get(2).resolve("cgroup.procs"), "");
            put(dirs.get(2).resolve("cpuacct.usage_user"), "123000000\n");
            put(dirs.get(2).resolve("cpuacct.usage_sys"), "45000000\n");
            put(mem.resolve("memory.max_usage_in_bytes"), "5000000\n");
            put(mem.resolve("memory.failcnt"), "99\n");
            put(mem.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
            put(dirs.get(1).resolve("pids.peak"), "12\n");
            put(dirs.get(1).resolve("pids.events"), "max 6\n");
            assertThat(run.usage()).isEqualTo(new Usage(123_000_000, 45_000_000, 5_000_000, 3, 12, 6));

            // Old kernels: cpuacct.stat in USER_HZ (100/s) ticks; no oom_kill line (before 4.13); no pids.peak.
            dirs.get(2).resolve("cpuacct.usage_user").toFile().delete();
            put(dirs.get(2).resolve("cpuacct.stat"), "user 12\nsystem 3\n");
            put(mem.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\n");
            dirs.get(1).resolve("pids.peak").toFile().delete();
            assertThat(run.usage()).isEqualTo(new Usage(120_000_000, 30_000_000, 5_000_000, -1, -1, 6));
        }
    }

    @Test
    void missingHierarchyIsUnavailableWithReason() {
        String noPids = mountinfo().lines().filter(l -> !l.contains("pids")).reduce("", (a, b) -> a + b + "\n");
        put(root.resolve("unified/cgroup.controllers"), "\n");
        CgroupSupport s = Cgroups.detect(noPids, SELF, FakeCgroupFs.V1_KERNEL);
        assertThat(((CgroupSupport.Unavailable) s).reason())
                .contains("no pids hierarchy mounted").contains("offers none").contains("Delegate=yes");
    }

    @Test
    void mountinfoParsing() {
        List<ProcSelf.Mount> m = ProcSelf.cgroupMounts(
                "41 31 0:38 /sub /sys/fs/cgroup/with\\040space rw - cgroup2 cgroup2 rw,nsdelegate\n"
                        + "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n");
        assertThat(m).containsExactly(new ProcSelf.Mount("/sub", Path.of("/sys/fs/cgroup/with space"), "cgroup2",
                Set.of("rw", "nsdelegate")));
        assertThat(m.getFirst().dirOf("/sub/a/b")).isEqualTo(Path.of("/sys/fs/cgroup/with space/a/b"));
        assertThat(m.getFirst().dirOf("/sub")).isEqualTo(Path.of("/sys/fs/cgroup/with space"));
        assertThat(ProcSelf.memberships("4:memory:/a\n0::/b/c\n")).containsExactly(
                new ProcSelf.Membership(4, Set.of("memory"), "/a"), new ProcSelf.Membership(0, Set.of(), "/b/c"));
    }
}
