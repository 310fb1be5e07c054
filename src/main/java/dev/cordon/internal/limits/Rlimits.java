package dev.cordon.internal.limits;

import dev.cordon.Limits;
import dev.cordon.internal.sys.Sys;

/**
 * The per-process limits set on a held child before its first instruction. Core dumps are always off.
 *
 * @param cpuSeconds     RLIMIT_CPU soft limit (0: none); the hard limit is one second more
 * @param dataBytes      RLIMIT_DATA (0: none): the memory fallback when no cgroup can be had
 */
public record Rlimits(long cpuSeconds, long dataBytes, long fileSize, long openFiles, long stack) {
    /**
     * From the policy's limits. With a cgroup, CPU time is enforced for the whole tree by the supervisor
     * and RLIMIT_CPU is only a backstop a second later; without one it is the limit itself, per process.
     */
    public static Rlimits of(Limits limits, boolean cgroup) {
        long cpu = 0;
        if (limits.cpuTime() != null) {
            cpu = Math.max(1, (limits.cpuTime().toMillis() + 999) / 1000) + (cgroup ? 1 : 0);
        }
        return new Rlimits(cpu, cgroup ? 0 : limits.memoryBytes(), limits.fileSize(), limits.openFiles(), limits.stack());
    }

    public void apply(int pid) {
        Sys.prlimit(pid, Sys.RLIMIT_CORE, 0, 0);
        // SIGXCPU at the soft limit, SIGKILL one second later in case the program ignores it.
        if (cpuSeconds > 0) Sys.prlimit(pid, Sys.RLIMIT_CPU, cpuSeconds, cpuSeconds + 1);
        if (dataBytes > 0) Sys.prlimit(pid, Sys.RLIMIT_DATA, dataBytes, dataBytes);
        if (fileSize > 0) Sys.prlimit(pid, Sys.RLIMIT_FSIZE, fileSize, fileSize);
        if (openFiles > 0) Sys.prlimit(pid, Sys.RLIMIT_NOFILE, openFiles, openFiles);
        if (stack > 0) Sys.prlimit(pid, Sys.RLIMIT_STACK, stack, stack);
    }
}
