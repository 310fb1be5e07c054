package dev.cordon;

import java.time.Duration;

/**
 * Resource limits. A value of {@code 0} (or a {@code null} duration) means "no limit". Core dumps are
 * always disabled. Which mechanism enforces each limit (cgroup for the whole tree, or an rlimit per
 * process when no cgroup can be had) is named in {@link RunResult#layers()}.
 *
 * @param cpuTime     CPU time of the whole sandbox, all processes and threads added up (cgroup, polled by
 *                    the supervisor), with RLIMIT_CPU as a per-process backstop in the kernel
 * @param wallTime    time from launch until the sandbox is killed
 * @param memoryBytes memory of the whole sandbox, resident, no swap (cgroup); without a cgroup, RLIMIT_DATA
 *                    per process
 * @param processes   processes and threads alive at once in the sandbox (cgroup pids controller)
 * @param outputBytes bytes the program may write to stdout and to stderr (each); Cordon then relays them
 * @param fileSize    largest file a process may write, in bytes (RLIMIT_FSIZE)
 * @param openFiles   descriptors per process (RLIMIT_NOFILE)
 * @param stack       stack size per process, in bytes (RLIMIT_STACK)
 */
public record Limits(Duration cpuTime, Duration wallTime, long memoryBytes, long processes, long outputBytes,
                     long fileSize, long openFiles, long stack) {
    public static final Limits NONE = new Limits(null, null, 0, 0, 0, 0, 0, 0);

    public Limits {
        positive("CPU time", cpuTime);
        positive("wall time", wallTime);
        if (memoryBytes < 0 || processes < 0 || outputBytes < 0 || fileSize < 0 || openFiles < 0 || stack < 0) {
            throw new PolicyException("limits must not be negative");
        }
    }

    private static void positive(String what, Duration d) {
        if (d != null && (d.isNegative() || d.isZero())) throw new PolicyException(what + " limit must be positive, got " + d);
    }

    public Limits withCpuTime(Duration d) { return new Limits(d, wallTime, memoryBytes, processes, outputBytes, fileSize, openFiles, stack); }
    public Limits withWallTime(Duration d) { return new Limits(cpuTime, d, memoryBytes, processes, outputBytes, fileSize, openFiles, stack); }
    public Limits withMemory(long b) { return new Limits(cpuTime, wallTime, b, processes, outputBytes, fileSize, openFiles, stack); }
    public Limits withProcesses(long n) { return new Limits(cpuTime, wallTime, memoryBytes, n, outputBytes, fileSize, openFiles, stack); }
    public Limits withOutput(long b) { return new Limits(cpuTime, wallTime, memoryBytes, processes, b, fileSize, openFiles, stack); }
    public Limits withFileSize(long b) { return new Limits(cpuTime, wallTime, memoryBytes, processes, outputBytes, b, openFiles, stack); }
    public Limits withOpenFiles(long n) { return new Limits(cpuTime, wallTime, memoryBytes, processes, outputBytes, fileSize, n, stack); }
    public Limits withStack(long b) { return new Limits(cpuTime, wallTime, memoryBytes, processes, outputBytes, fileSize, openFiles, b); }
}
