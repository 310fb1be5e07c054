package dev.cordon.internal.limits.cgroup;

/** A cgroup hierarchy layout we can create per-run cgroups in. Chosen at run time by {@link Cgroups#detect()}. */
public sealed interface CgroupDriver extends CgroupSupport permits CgroupV1, CgroupV2 {

    /**
     * Creates a fresh cgroup for one sandbox run ({@code cordon-<jvmpid>-<seq>}) and sets its limits.
     * {@code runName} only labels it in {@link RunCgroup#describe()} and in error messages.
     */
    RunCgroup create(String runName, CgroupLimits limits);

    /** Removes run cgroups left by JVMs that died without closing them (their processes are killed first). */
    int cleanStale();

    /** For the report's layer list, e.g. {@code cgroup v1 (memory, pids, cpuacct, freezer) under /sys/fs/cgroup/memory/cordon}. */
    String describe();
}
