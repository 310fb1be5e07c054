package dev.cordon;

import java.time.Duration;

/**
 * Resource limits applied before the program's first instruction. A value of {@code 0} (or a
 * {@code null} duration) means "no limit set by Cordon". Core dumps are always disabled.
 *
 * @param cpuTime    CPU time of each process (RLIMIT_CPU; SIGXCPU at the limit, SIGKILL one second later)
 * @param fileSize   largest file a process may write, in bytes (RLIMIT_FSIZE)
 * @param openFiles  descriptors per process (RLIMIT_NOFILE)
 * @param stack      stack size per process, in bytes (RLIMIT_STACK)
 */
public record Limits(Duration cpuTime, long fileSize, long openFiles, long stack) {
    public static final Limits NONE = new Limits(null, 0, 0, 0);

    public Limits {
        if (cpuTime != null && (cpuTime.isNegative() || cpuTime.isZero())) {
            throw new PolicyException("CPU time limit must be positive, got " + cpuTime);
        }
        if (fileSize < 0 || openFiles < 0 || stack < 0) throw new PolicyException("limits must not be negative");
    }

    public Limits withCpuTime(Duration d) { return new Limits(d, fileSize, openFiles, stack); }
    public Limits withFileSize(long b) { return new Limits(cpuTime, b, openFiles, stack); }
    public Limits withOpenFiles(long n) { return new Limits(cpuTime, fileSize, n, stack); }
    public Limits withStack(long b) { return new Limits(cpuTime, fileSize, openFiles, b); }
}
