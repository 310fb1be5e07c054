package dev.cordon.internal.limits.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** A plain directory tree that looks like cgroupfs: the "kernel" fills each new directory with control files. */
final class FakeCgroupFs {
    private FakeCgroupFs() {}

    static void put(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String get(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A v2 cgroup directory as the kernel creates it; controllers are what the parent enabled for children. */
    static void v2Dir(Path dir, String controllers) {
        put(dir.resolve("cgroup.controllers"), controllers + "\n");
        put(dir.resolve("cgroup.subtree_control"), "\n");
        put(dir.resolve("cgroup.procs"), "");
        put(dir.resolve("cgroup.events"), "populated 0\nfrozen 0\n");
        put(dir.resolve("cgroup.kill"), "");
        put(dir.resolve("cgroup.freeze"), "0\n");
        put(dir.resolve("cpu.stat"), "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
        put(dir.resolve("memory.max"), "max\n");
        put(dir.resolve("memory.swap.max"), "max\n");
        put(dir.resolve("memory.peak"), "0\n");
        put(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
        put(dir.resolve("pids.max"), "max\n");
        put(dir.resolve("pids.peak"), "0\n");
        put(dir.resolve("pids.events"), "max 0\n");
    }

    /** The fake kernel for v2: a new cgroup gets the controllers its parent enabled in cgroup.subtree_control. */
    static final Consumer<Path> V2_KERNEL = dir -> {
        String enabled = String.join(" ", Cgroups.words(get(dir.getParent().resolve("cgroup.subtree_control"))));
        v2Dir(dir, enabled);
    };

    static void v1Dir(Path dir) {
        put(dir.resolve("cgroup.procs"), "");
        put(dir.resolve("tasks"), "");
        put(dir.resolve("memory.limit_in_bytes"), "9223372036854771712\n");
        put(dir.resolve("memory.memsw.limit_in_bytes"), "9223372036854771712\n");
        put(dir.resolve("pids.max"), "max\n");
    }

    static final Consumer<Path> V1_KERNEL = FakeCgroupFs::v1Dir;

    static String mountinfoV2(Path root) {
        return "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
                + "41 31 0:38 / " + root + " rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
    }
}
