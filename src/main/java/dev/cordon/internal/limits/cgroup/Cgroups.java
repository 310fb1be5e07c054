package dev.cordon.internal.limits.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds, once per JVM, where this process may create per-run cgroups: cgroup v2 if a writable subtree
 * has memory, pids and cpu, else cgroup v1 with writable memory, pids and cpuacct hierarchies.
 */
public final class Cgroups {
    private Cgroups() {}

    static final String PARENT = "cordon";
    static final Pattern RUN_NAME = Pattern.compile("cordon-(\\d+)-(\\d+)");
    private static final AtomicLong SEQ = new AtomicLong();
    private static volatile CgroupSupport cached;

    /** The usable driver, or why there is none. Cached: only the first call looks at the system. */
    public static CgroupSupport detect() {
        CgroupSupport s = cached;
        if (s == null) {
            synchronized (Cgroups.class) {
                s = cached;
                if (s == null) cached = s = detect(readProc("/proc/self/mountinfo"), readProc("/proc/self/cgroup"), CgroupFs.KERNEL);
            }
        }
        return s;
    }

    /** The driver, if there is one. */
    public static Optional<CgroupDriver> driver() {
        return detect() instanceof CgroupDriver d ? Optional.of(d) : Optional.empty();
    }

    /** Removes run cgroups of dead JVMs with the detected driver; 0 if cgroups are unavailable. */
    public static int cleanStale() {
        return detect() instanceof CgroupDriver d ? d.cleanStale() : 0;
    }

    private static String readProc(String file) {
        try {
            return CgroupFs.slurp(Path.of(file));
        } catch (IOException e) {
            return "";
        }
    }

    /** Detection from the given /proc/self/mountinfo and /proc/self/cgroup texts (tests pass fake trees). */
    static CgroupSupport detect(String mountinfo, String procCgroup, Consumer<Path> kernel) {
        return detect(mountinfo, procCgroup, kernel, true, true);
    }

    /** Detection of only the given versions, from this process's real /proc files (tests of each path). */
    static CgroupSupport detectOnly(boolean v2, boolean v1) {
        return detect(readProc("/proc/self/mountinfo"), readProc("/proc/self/cgroup"), CgroupFs.KERNEL, v2, v1);
    }

    static CgroupSupport detect(String mountinfo, String procCgroup, Consumer<Path> kernel, boolean tryV2, boolean tryV1) {
        List<ProcSelf.Mount> mounts = ProcSelf.cgroupMounts(mountinfo);
        List<ProcSelf.Membership> members = ProcSelf.memberships(procCgroup);
        List<String> why = new ArrayList<>();
        CgroupV2 v2 = tryV2 ? detectV2(mounts, members, kernel, why) : null;
        if (v2 != null) return v2;
        CgroupV1 v1 = tryV1 ? detectV1(mounts, members, kernel, why) : null;
        if (v1 != null) return v1;
        // The hint once, at the end.
        String reasons = String.join("; ", why).replace("; " + CgroupFs.HINT, "");
        return new CgroupSupport.Unavailable(reasons + "; " + CgroupFs.HINT);
    }

    // --- v2 --------------------------------------------------------------------------------------------

    private static CgroupV2 detectV2(List<ProcSelf.Mount> mounts, List<ProcSelf.Membership> members,
                                     Consumer<Path> kernel, List<String> why) {
        List<ProcSelf.Mount> v2 = mounts.stream().filter(m -> m.fsType().equals("cgroup2")).toList();
        if (v2.isEmpty()) {
            why.add("cgroup v2: not mounted");
            return null;
        }
        String own = members.stream().filter(m -> m.id() == 0).map(ProcSelf.Membership::path).findFirst().orElse(null);
        if (own == null) {
            why.add("cgroup v2: /proc/self/cgroup has no 0:: line");
            return null;
        }
        for (ProcSelf.Mount mount : v2) {
            Set<String> available = words(CgroupFs.readIfExists(mount.mountPoint().resolve("cgroup.controllers")));
            if (!available.containsAll(CgroupV2.CONTROLLERS)) {
                why.add("cgroup v2 at " + mount.mountPoint() + ": controllers " + missing(available, CgroupV2.CONTROLLERS)
                        + " not available (it offers " + (available.isEmpty() ? "none" : "only " + String.join(", ", available.stream().sorted().toList()))
                        + (mounts.stream().anyMatch(m -> m.fsType().equals("cgroup")) ? "; the others are bound to cgroup v1 hierarchies)" : ")"));
                continue;
            }
            // Our own cgroup first; a cgroup holding processes (not the root) may not enable controllers for
            // its children ("no internal processes"), so then its parent, i.e. the delegated subtree.
            Path ownDir = mount.dirOf(own);
            List<Path> bases = new ArrayList<>(List.of(ownDir));
            if (!ownDir.equals(mount.mountPoint())) bases.add(ownDir.getParent());
            for (Path base : bases) {
                try {
                    return new CgroupV2(prepareV2(base, kernel), kernel);
                } catch (CgroupException e) {
                    why.add("cgroup v2: " + e.getMessage());
                }
            }
        }
        return null;
    }

    /** Makes {@code base/cordon} with memory, pids, cpu enabled for its children; returns it. */
    private static Path prepareV2(Path base, Consumer<Path> kernel) {
        Set<String> available = words(CgroupFs.readIfExists(base.resolve("cgroup.controllers")));
        if (!available.containsAll(CgroupV2.CONTROLLERS)) {
            throw new CgroupException(base + " lacks controllers " + missing(available, CgroupV2.CONTROLLERS));
        }
        enable(base);
        Path parent = base.resolve(PARENT);
        makeV2Parent(parent, kernel);
        // Moving a process in needs write access to cgroup.procs of the common ancestor too.
        for (Path p : List.of(parent, parent.resolve("cgroup.procs"), base.resolve("cgroup.procs"))) {
            if (!Files.isWritable(p)) throw new CgroupException(p + " is not writable");
        }
        removeParentIfUnused(parent); // made again by the first run
        return parent;
    }

    static void makeV2Parent(Path parent, Consumer<Path> kernel) {
        CgroupFs.mkdir(parent, kernel);
        enable(parent);
    }

    private static void enable(Path dir) {
        Path control = dir.resolve("cgroup.subtree_control");
        Set<String> enabled = words(CgroupFs.readIfExists(control));
        List<String> missing = missing(enabled, CgroupV2.CONTROLLERS);
        if (missing.isEmpty()) return;
        CgroupFs.write(control, String.join(" ", missing.stream().map(c -> "+" + c).toList()));
    }

    // --- v1 --------------------------------------------------------------------------------------------

    private static CgroupV1 detectV1(List<ProcSelf.Mount> mounts, List<ProcSelf.Membership> members,
                                     Consumer<Path> kernel, List<String> why) {
        List<String> wanted = new ArrayList<>(CgroupV1.REQUIRED);
        wanted.add(CgroupV1.FREEZER);
        // Distinct hierarchies (cpu,cpuacct are often mounted together), each with the controllers we use it for.
        Map<ProcSelf.Mount, Set<String>> uses = new LinkedHashMap<>();
        for (String c : wanted) {
            Optional<ProcSelf.Mount> m = mounts.stream()
                    .filter(x -> x.fsType().equals("cgroup") && x.superOptions().contains(c)).findFirst();
            if (m.isEmpty()) {
                if (CgroupV1.REQUIRED.contains(c)) {
                    why.add("cgroup v1: no " + c + " hierarchy mounted");
                    return null;
                }
                continue;
            }
            uses.computeIfAbsent(m.get(), k -> new HashSet<>()).add(c);
        }
        List<CgroupV1.Hierarchy> hierarchies = new ArrayList<>();
        for (Map.Entry<ProcSelf.Mount, Set<String>> e : uses.entrySet()) {
            ProcSelf.Mount mount = e.getKey();
            String own = members.stream().filter(m -> !m.controllers().isEmpty()
                    && m.controllers().containsAll(e.getValue().stream().filter(mount.superOptions()::contains).toList()))
                    .map(ProcSelf.Membership::path).findFirst().orElse("/");
            // Below our own cgroup first (keeps the container's accounting), else at the hierarchy's root.
            List<Path> bases = new ArrayList<>(List.of(mount.dirOf(own)));
            if (!bases.contains(mount.mountPoint())) bases.add(mount.mountPoint());
            Path parent = null;
            List<String> failures = new ArrayList<>();
            for (Path base : bases) {
                try {
                    Path p = base.resolve(PARENT);
                    CgroupFs.mkdir(p, kernel);
                    if (!Files.isWritable(p) || !Files.isWritable(p.resolve("cgroup.procs"))) {
                        throw new CgroupException(p + " is not writable");
                    }
                    parent = p;
                    removeParentIfUnused(p); // made again by the first run
                    break;
                } catch (CgroupException ex) {
                    failures.add(ex.getMessage());
                }
            }
            if (parent == null) {
                if (e.getValue().equals(Set.of(CgroupV1.FREEZER))) continue; // optional
                why.add("cgroup v1: " + String.join("; ", failures));
                return null;
            }
            hierarchies.add(new CgroupV1.Hierarchy(Set.copyOf(e.getValue()), parent));
        }
        // The memory hierarchy first: run names are chosen there.
        hierarchies.sort((a, b) -> Boolean.compare(b.has("memory"), a.has("memory")));
        return new CgroupV1(hierarchies, kernel);
    }

    // --- shared ----------------------------------------------------------------------------------------

    /**
     * Creates {@code cordon-<jvmpid>-<seq>} under each parent (the same name in all), skipping names already
     * taken (left by a dead JVM that had our pid). A parent removed meanwhile by the close of the last run
     * (see {@link #removeParentIfUnused}) is made again with {@code makeParent}.
     */
    static List<Path> newRunDirs(List<Path> parents, Consumer<Path> kernel, Consumer<Path> makeParent) {
        long pid = ProcessHandle.current().pid();
        for (int attempt = 0; attempt < 1000; attempt++) {
            String name = "cordon-" + pid + "-" + SEQ.incrementAndGet();
            List<Path> made = new ArrayList<>();
            boolean taken = false;
            try {
                for (Path parent : parents) {
                    if (!mkdirIn(parent, parent.resolve(name), kernel, makeParent)) {
                        taken = true;
                        break;
                    }
                    made.add(parent.resolve(name));
                }
            } catch (RuntimeException e) {
                made.forEach(CgroupFs::rmdir);
                throw e;
            }
            if (!taken) return made;
            made.forEach(CgroupFs::rmdir);
        }
        throw new CgroupException("cannot find a free cgroup name under " + parents);
    }

    private static boolean mkdirIn(Path parent, Path dir, Consumer<Path> kernel, Consumer<Path> makeParent) {
        for (int attempt = 0; ; attempt++) {
            try {
                return CgroupFs.mkdir(dir, kernel);
            } catch (CgroupException e) {
                if (Files.isDirectory(parent) || attempt >= 10) throw e;
                makeParent.accept(parent);
            }
        }
    }

    /**
     * Removes a {@code cordon} parent once no run uses it: left behind inside the JVM's own cgroup it would
     * stop a container manager from removing that cgroup. Fails harmlessly (EBUSY) while runs remain.
     */
    static void removeParentIfUnused(Path parent) {
        // Removing and re-making the parent around every run costs more than the run's own cgroup: while this
        // JVM lives the parent stays, and it goes when the JVM exits (or at the next start's stale clean-up).
        PARENTS_TO_REMOVE.add(parent);
    }

    private static final java.util.Set<Path> PARENTS_TO_REMOVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Cgroups::removeParents, "cordon-cgroup-parents"));
    }

    /** Removes the parents this JVM used, where no run (of any JVM) is left in them. */
    public static void removeParents() {
        for (Path parent : PARENTS_TO_REMOVE) {
            try {
                Files.delete(parent);
            } catch (IOException ignored) {
                // still in use by another run (of this or another JVM), or already gone
            }
        }
    }

    /**
     * Finds {@code cordon-<pid>-<seq>} directories under the parents whose pid is not a live process and hands
     * each name (with its directories) to {@code remove}. Any live pid is left alone, even if it was reused
     * by another program: a leak is better than killing a live JVM's sandbox.
     */
    static int cleanStale(List<Path> parents, BiConsumer<String, List<Path>> remove) {
        long self = ProcessHandle.current().pid();
        Map<String, List<Path>> stale = new LinkedHashMap<>();
        for (Path parent : parents) {
            for (Path dir : CgroupFs.subdirs(parent)) {
                Matcher m = RUN_NAME.matcher(dir.getFileName().toString());
                if (!m.matches()) continue;
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid == self || pid > Integer.MAX_VALUE || CgroupFs.alive((int) pid)) continue;
                stale.computeIfAbsent(dir.getFileName().toString(), k -> new ArrayList<>()).add(dir);
            }
        }
        int removed = 0;
        for (Map.Entry<String, List<Path>> e : stale.entrySet()) {
            try {
                remove.accept(e.getKey(), e.getValue());
                removed++;
            } catch (CgroupException ignored) {
                // Busy or not ours to remove: try again next time.
            }
        }
        return removed;
    }

    static Set<String> words(String s) {
        if (s == null || s.isBlank()) return Set.of();
        Set<String> set = new HashSet<>();
        for (String w : s.strip().split("\\s+")) set.add(w.startsWith("+") ? w.substring(1) : w);
        return set;
    }

    private static List<String> missing(Set<String> have, List<String> need) {
        return need.stream().filter(c -> !have.contains(c)).toList();
    }

}
