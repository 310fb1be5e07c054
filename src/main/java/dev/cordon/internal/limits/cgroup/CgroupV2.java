package dev.cordon.internal.limits.cgroup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Unified hierarchy: one directory per run under {@code <base>/cordon}, where {@code base} is a cgroup we may
 * write (our own, or its parent when our own holds processes and so may not enable controllers for children).
 */
public final class CgroupV2 implements CgroupDriver {
    static final List<String> CONTROLLERS = List.of("memory", "pids", "cpu");

    private final Path parent;
    private final Consumer<Path> kernel;

    /** {@code parent} is the {@code cordon} directory, with memory, pids and cpu enabled for its children. */
    CgroupV2(Path parent, Consumer<Path> kernel) {
        this.parent = parent;
        this.kernel = kernel;
    }

    Path parent() {
        return parent;
    }

    @Override
    public RunCgroup create(String runName, CgroupLimits limits) {
        Path dir = Cgroups.newRunDirs(List.of(parent), kernel, p -> Cgroups.makeV2Parent(p, kernel)).getFirst();
        try {
            if (limits.memoryBytes() > 0) {
                CgroupFs.write(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
                // Without this the tree could spill past memory.max into swap.
                Path swap = dir.resolve("memory.swap.max");
                if (Files.exists(swap)) CgroupFs.write(swap, "0");
            }
            if (limits.pidsMax() > 0) CgroupFs.write(dir.resolve("pids.max"), Long.toString(limits.pidsMax()));
        } catch (RuntimeException e) {
            CgroupFs.rmdir(dir);
            Cgroups.removeParentIfUnused(parent);
            throw e;
        }
        return new Run(runName, dir, limits.memoryBytes() > 0 && !Files.exists(dir.resolve("memory.swap.max")));
    }

    @Override
    public int cleanStale() {
        return Cgroups.cleanStale(List.of(parent), (name, dirs) -> {
            Run stale = new Run(name, dirs.getFirst(), false);
            stale.close();
        });
    }

    @Override
    public String describe() {
        return "cgroup v2 (" + String.join(", ", CONTROLLERS) + ") under " + parent;
    }

    @Override
    public String toString() {
        return describe();
    }

    /** One run's cgroup v2 directory. */
    public static final class Run implements RunCgroup {
        private final String name;
        private final Path dir;
        private final boolean swapUnlimited;
        private final AtomicBoolean closed = new AtomicBoolean();

        Run(String name, Path dir, boolean swapUnlimited) {
            this.name = name;
            this.dir = dir;
            this.swapUnlimited = swapUnlimited;
        }

        Path dir() {
            return dir;
        }

        @Override
        public void addProcess(int pid) {
            try {
                CgroupFs.write(dir.resolve("cgroup.procs"), Integer.toString(pid));
            } catch (CgroupException e) {
                throw new CgroupException("cannot move process " + pid + " into " + dir + " (run " + name + "): "
                        + e.getMessage(), e);
            }
        }

        @Override
        public Usage usage() {
            Map<String, Long> cpu = CgroupFs.readKeyed(dir.resolve("cpu.stat"));
            long user = cpu.getOrDefault("user_usec", 0L) * 1000;
            long system = cpu.getOrDefault("system_usec", 0L) * 1000;
            Long oom = CgroupFs.readKeyed(dir.resolve("memory.events")).get("oom_kill");
            Map<String, Long> pidsEvents = CgroupFs.readKeyed(dir.resolve("pids.events"));
            return new Usage(user, system,
                    CgroupFs.readLong(dir.resolve("memory.peak")),     // Linux 5.19+
                    oom == null ? -1 : oom,
                    CgroupFs.readLong(dir.resolve("pids.peak")),       // Linux 6.1+ (v2)
                    pidsEvents.getOrDefault("max", -1L));
        }

        @Override
        public boolean isEmpty() {
            String events = CgroupFs.readIfExists(dir.resolve("cgroup.events"));
            if (events != null && events.contains("populated ")) return events.contains("populated 0");
            return CgroupFs.readPidsRecursive(dir, "cgroup.procs").isEmpty();
        }

        @Override
        public void killAll() {
            if (!Files.isDirectory(dir)) return;
            Path kill = dir.resolve("cgroup.kill");
            if (Files.exists(kill)) {
                // Linux 5.14+: the kernel kills the whole subtree at once, new forks included.
                CgroupFs.write(kill, "1");
                if (awaitEmpty(5_000)) return;
            }
            // Older kernels: freeze so nothing can fork or exit (no pid reuse), kill everyone, thaw.
            Path freeze = dir.resolve("cgroup.freeze");
            boolean canFreeze = Files.exists(freeze);
            for (int round = 0; round < 100 && !isEmpty(); round++) {
                if (canFreeze) CgroupFs.write(freeze, "1");
                List<Integer> pids = CgroupFs.readPidsRecursive(dir, "cgroup.procs");
                if (canFreeze) {
                    pids.forEach(CgroupFs::kill);
                    CgroupFs.write(freeze, "0");
                } else {
                    CgroupFs.killMembers(pids, dir, "cgroup.procs");
                }
                if (awaitEmpty(round < 10 ? 20 : 200)) return;
            }
            if (!isEmpty()) throw new CgroupException("processes in " + dir + " survived SIGKILL (run " + name
                    + "): " + CgroupFs.readPidsRecursive(dir, "cgroup.procs"));
        }

        private boolean awaitEmpty(long millis) {
            return CgroupFs.await(() -> !Files.isDirectory(dir) || isEmpty(), millis);
        }

        @Override
        public boolean tryClose() {
            if (closed.get()) return true;
            if (!CgroupFs.tryRmdir(dir)) return false;
            closed.set(true);
            Cgroups.removeParentIfUnused(dir.getParent());
            return true;
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) return;
            // A successful rmdir proves the cgroup was empty (the kernel refuses a populated one): the usual
            // case, with nothing to kill.
            if (CgroupFs.tryRmdir(dir)) {
                Cgroups.removeParentIfUnused(dir.getParent());
                return;
            }
            RuntimeException killFailure = null;
            try {
                killAll();
            } catch (RuntimeException e) {
                killFailure = e;
            }
            String err = CgroupFs.rmdir(dir);
            Cgroups.removeParentIfUnused(dir.getParent());
            if (err != null) {
                CgroupException e = new CgroupException(err + " (run " + name + ")");
                if (killFailure != null) e.addSuppressed(killFailure);
                throw e;
            }
        }

        @Override
        public String describe() {
            return "cgroup v2 (" + String.join(", ", CONTROLLERS) + ") " + dir
                    + (swapUnlimited ? " [swap not limited: memory.swap.max absent]" : "");
        }

        @Override
        public String toString() {
            return describe();
        }
    }
}
