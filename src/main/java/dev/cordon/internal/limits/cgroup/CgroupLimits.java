package dev.cordon.internal.limits.cgroup;

/**
 * Limits for one run's cgroup, for the whole process tree together (rlimits only bound each process).
 *
 * @param memoryBytes memory (RAM, and no swap on top) for the whole tree; 0 = no limit
 * @param pidsMax     processes and threads alive at once in the whole tree; 0 = no limit
 */
public record CgroupLimits(long memoryBytes, long pidsMax) {
    public static final CgroupLimits NONE = new CgroupLimits(0, 0);

    public CgroupLimits {
        if (memoryBytes < 0) throw new IllegalArgumentException("memoryBytes must be >= 0 (0 = no limit): " + memoryBytes);
        if (pidsMax < 0) throw new IllegalArgumentException("pidsMax must be >= 0 (0 = no limit): " + pidsMax);
    }
}
