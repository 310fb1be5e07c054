package dev.cordon.internal.limits.cgroup;

/**
 * The cgroup(s) of one sandbox run: limits and exact usage for the whole process tree, and a kill that
 * cannot be outrun by forking. Not tied to a thread; the methods may be called from any thread.
 */
public sealed interface RunCgroup extends AutoCloseable permits CgroupV1.Run, CgroupV2.Run {

    /**
     * Moves a process into this run's cgroup(s). Call it while the process is held before its first
     * instruction: everything it forks afterwards is born inside.
     */
    void addProcess(int pid);

    /** CPU, memory peak, OOM kills and pids as counted by the kernel so far. */
    Usage usage();

    /** True once no process (or thread) is left in the cgroup(s). */
    boolean isEmpty();

    /** SIGKILLs every process in the cgroup(s), including ones forked while we kill; returns once empty. */
    void killAll();

    /**
     * Removes the cgroup directories if no process is left in them, without waiting or killing (a successful
     * rmdir proves the cgroup empty); true once removed. On false {@link #close} is still to be called.
     */
    boolean tryClose();

    /** Kills what is left and removes the cgroup directories. Idempotent. */
    @Override
    void close();

    /** E.g. {@code cgroup v1 (memory, pids, cpuacct, freezer) /sys/fs/cgroup/memory/cordon/cordon-123-4}. */
    String describe();
}
