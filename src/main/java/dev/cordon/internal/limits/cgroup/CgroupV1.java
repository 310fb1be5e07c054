package dev.cordon.internal.limits.cgroup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Legacy hierarchies: one directory per run in each hierarchy we use (memory, pids, cpuacct, and freezer
 * when mounted, for a kill that forks cannot outrun), all named alike, under a {@code cordon} directory.
 */
public final class CgroupV1 implements CgroupDriver {
    static final List<String> REQUIRED = List.of("memory", "pids", "cpuacct");
    static final String FREEZER = "freezer";

    /** One mounted hierarchy: the controllers we use it for, and its {@code cordon} parent directory. */
    record Hierarchy(Set<String> controllers, Path parent) {
        boolean has(String controller) {
            return controllers.contains(controller);
        }
    }

    private final List<Hierarchy> hierarchies;
    private final Consumer<Path> kernel;

    CgroupV1(List<Hierarchy> hierarchies, Consumer<Path> kernel) {
        this.hierarchies = List.copyOf(hierarchies);
        this.kernel = kernel;
    }

    List<Hierarchy> hierarchies() {
        return hierarchies;
    }

    private Set<String> controllers() {
        Set<String> all = new LinkedHashSet<>();
        for (String c : REQUIRED) all.add(c);
        for (Hierarchy h : hierarchies) if (h.has(FREEZER)) all.add(FREEZER);
        return all;
    }

    @Override
    public RunCgroup create(String runName, CgroupLimits limits) {
        List<Path> dirs = Cgroups.newRunDirs(hierarchies.stream().map(Hierarchy::parent).toList(), kernel,
                p -> CgroupFs.mkdir(p, kernel));
        Run run;
        try {
            run = new Run(runName, hierarchies, dirs);
            Path mem = run.dirOf("memory");
            boolean swapUnlimited = false;
            if (limits.memoryBytes() > 0) {
                String v = Long.toString(limits.memoryBytes());
                // memory first: memsw must never be below it. memsw = memory means no swap on top.
                CgroupFs.write(mem.resolve("memory.limit_in_bytes"), v);
                Path memsw = mem.resolve("memory.memsw.limit_in_bytes");
                if (Files.exists(memsw)) CgroupFs.write(memsw, v);
                else swapUnlimited = true;
            }
            if (limits.pidsMax() > 0) CgroupFs.write(run.dirOf("pids").resolve("pids.max"), Long.toString(limits.pidsMax()));
            run.swapUnlimited = swapUnlimited;
            return run;
        } catch (RuntimeException e) {
            for (Path d : dirs) {
                CgroupFs.rmdir(d);
                Cgroups.removeParentIfUnused(d.getParent());
            }
            throw e;
        }
    }

    @Override
    public int cleanStale() {
        List<Path> parents = hierarchies.stream().map(Hierarchy::parent).toList();
        return Cgroups.cleanStale(parents, (name, dirs) -> {
            List<Path> all = hierarchies.stream().map(h -> h.parent().resolve(name)).toList();
            new Run(name, hierarchies, all).close();
        });
    }

    @Override
    public String describe() {
        return "cgroup v1 (" + String.join(", ", controllers()) + ") under "
                + hierarchies.stream().map(h -> h.parent().toString()).toList();
    }

    @Override
    public String toString() {
        return describe();
    }

    /** One run's directories, one per hierarchy (same order as the driver's hierarchies). */
    public static final class Run implements RunCgroup {
        private final String name;
        private final List<Hierarchy> hierarchies;
        private final List<Path> dirs;
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile boolean swapUnlimited;

        Run(String name, List<Hierarchy> hierarchies, List<Path> dirs) {
            this.name = name;
            this.hierarchies = hierarchies;
            this.dirs = List.copyOf(dirs);
        }

        List<Path> dirs() {
            return dirs;
        }

        /** This run's directory in the hierarchy of a controller, or null if that hierarchy is not used. */
        Path dirOf(String controller) {
            for (int i = 0; i < hierarchies.size(); i++) if (hierarchies.get(i).has(controller)) return dirs.get(i);
            return null;
        }

        @Override
        public void addProcess(int pid) {
            for (Path dir : dirs) {
                try {
                    CgroupFs.write(dir.resolve("cgroup.procs"), Integer.toString(pid));
                } catch (CgroupException e) {
                    throw new CgroupException("cannot move process " + pid + " into " + dir + " (run " + name + "): "
                            + e.getMessage(), e);
                }
            }
        }

        @Override
        public Usage usage() {
            Path cpu = dirOf("cpuacct");
            long user = CgroupFs.readLong(cpu.resolve("cpuacct.usage_user"));   // ns, Linux 4.7+
            long system = CgroupFs.readLong(cpu.resolve("cpuacct.usage_sys"));
            if (user < 0 || system < 0) {
                // USER_HZ ticks; USER_HZ is 100 on every Linux ABI.
                Map<String, Long> stat = CgroupFs.readKeyed(cpu.resolve("cpuacct.stat"));
                user = stat.getOrDefault("user", 0L) * 10_000_000L;
                system = stat.getOrDefault("system", 0L) * 10_000_000L;
            }
            Path mem = dirOf("memory");
            // oom_kill appeared in memory.oom_control in Linux 4.13. (memory.failcnt counts limit hits, not kills.)
            Long oom = CgroupFs.readKeyed(mem.resolve("memory.oom_control")).get("oom_kill");
            Path pids = dirOf("pids");
            return new Usage(user, system,
                    CgroupFs.readLong(mem.resolve("memory.max_usage_in_bytes")),
                    oom == null ? -1 : oom,
                    CgroupFs.readLong(pids.resolve("pids.peak")),
                    CgroupFs.readKeyed(pids.resolve("pids.events")).getOrDefault("max", -1L));
        }

        @Override
        public boolean isEmpty() {
            for (Path dir : dirs) if (!CgroupFs.readPidsRecursive(dir, "tasks").isEmpty()) return false;
            return true;
        }

        @Override
        public void killAll() {
            Path freezer = dirOf(FREEZER);
            if (freezer != null && Files.isDirectory(freezer)) {
                // Frozen tasks can neither fork nor exit: one pass kills them all, and no pid can be reused.
                for (int round = 0; round < 20 && !isEmpty(); round++) {
                    Path state = freezer.resolve("freezer.state");
                    CgroupFs.write(state, "FROZEN");
                    awaitFrozen(state);
                    for (Path dir : dirs) CgroupFs.readPidsRecursive(dir, "cgroup.procs").forEach(CgroupFs::kill);
                    CgroupFs.write(state, "THAWED");
                    if (awaitEmpty(round < 5 ? 100 : 1000)) return;
                }
            } else {
                // No freezer: kill whatever is listed until nothing is; forks made meanwhile are caught next
                // round (the pids limit bounds how many there can be).
                for (int round = 0; round < 500 && !isEmpty(); round++) {
                    for (Path dir : dirs) {
                        CgroupFs.killMembers(CgroupFs.readPidsRecursive(dir, "cgroup.procs"), dir, "cgroup.procs");
                    }
                    if (awaitEmpty(round < 50 ? 5 : 100)) return;
                }
            }
            if (!isEmpty()) throw new CgroupException("processes in " + dirs.getFirst() + " survived SIGKILL (run "
                    + name + "): " + CgroupFs.readPidsRecursive(dirs.getFirst(), "tasks"));
        }

        private static void awaitFrozen(Path state) {
            // FREEZING may last while a task sleeps uninterruptibly; kill anyway after a while.
            for (int i = 0; i < 200; i++) {
                String s = CgroupFs.readIfExists(state);
                if (s == null || s.strip().equals("FROZEN")) return;
                CgroupFs.sleep(1);
            }
        }

        private boolean awaitEmpty(long millis) {
            return CgroupFs.await(this::isEmpty, millis);
        }

        @Override
        public boolean tryClose() {
            if (closed.get()) return true;
            // A directory already removed counts as removed (tryRmdir): close() may follow a partial success.
            for (Path dir : dirs) {
                if (!CgroupFs.tryRmdir(dir)) return false;
                Cgroups.removeParentIfUnused(dir.getParent());
            }
            closed.set(true);
            return true;
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) return;
            // Usually every process is gone by now: then removing the directories is all there is to do, and a
            // successful rmdir proves the cgroup was empty (the kernel refuses a populated one). The memory
            // hierarchy comes first; at the first busy directory, kill and remove the rest the long way.
            int removed = 0;
            while (removed < dirs.size() && CgroupFs.tryRmdir(dirs.get(removed))) {
                Cgroups.removeParentIfUnused(dirs.get(removed).getParent());
                removed++;
            }
            if (removed == dirs.size()) return;
            RuntimeException killFailure = null;
            try {
                killAll();
            } catch (RuntimeException e) {
                killFailure = e;
            }
            List<String> errors = new ArrayList<>();
            for (Path dir : dirs) {
                String err = CgroupFs.rmdir(dir);
                if (err != null) errors.add(err);
                Cgroups.removeParentIfUnused(dir.getParent());
            }
            if (!errors.isEmpty()) {
                CgroupException e = new CgroupException(String.join("; ", errors) + " (run " + name + ")");
                if (killFailure != null) e.addSuppressed(killFailure);
                throw e;
            }
        }

        @Override
        public String describe() {
            Set<String> names = new LinkedHashSet<>(REQUIRED);
            if (dirOf(FREEZER) != null) names.add(FREEZER);
            return "cgroup v1 (" + String.join(", ", names) + ") " + dirOf("memory")
                    + (swapUnlimited ? " [swap not limited: memory.memsw.limit_in_bytes absent]" : "");
        }

        @Override
        public String toString() {
            return describe();
        }
    }
}
