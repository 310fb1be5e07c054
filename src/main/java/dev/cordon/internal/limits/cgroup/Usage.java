package dev.cordon.internal.limits.cgroup;

/**
 * What the kernel counted for a run's whole process tree, including processes that have already exited
 * and were reaped by someone else (which {@code wait4} rusage of the first child never sees).
 *
 * @param cpuUserNanos    CPU time in user mode
 * @param cpuSystemNanos  CPU time in the kernel on behalf of the tree
 * @param memoryPeakBytes highest memory charge of the tree (RSS, page cache, kernel memory); -1 if the
 *                        kernel cannot tell (cgroup v2 before Linux 5.19)
 * @param oomKills        processes killed by the OOM killer because of the run's memory limit; -1 if unknown
 *                        (cgroup v1 before Linux 4.13). Not {@code memory.failcnt}: hitting the limit
 *                        usually means reclaim, not a kill.
 * @param pidsPeak        most processes/threads alive at once; -1 if unknown
 * @param pidsLimitHits   forks/clones refused because of the pids limit; -1 if unknown
 */
public record Usage(long cpuUserNanos, long cpuSystemNanos, long memoryPeakBytes, long oomKills, long pidsPeak,
                    long pidsLimitHits) {
    public long cpuTotalNanos() {
        return cpuUserNanos + cpuSystemNanos;
    }
}
