package dev.cordon;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What happened in one run.
 *
 * @param pid             the program's process id, as the caller sees it
 * @param termination     exit code or signal of the program
 * @param verdict         one word for the outcome
 * @param limitExceeded   the limit that ended the run, if one did
 * @param wallTime        from launch to the end of the program
 * @param userTime        user CPU time of the whole sandbox (cgroup), or of the program and the children it
 *                        waited for (getrusage) where no cgroup could be had: see {@code measuredBy}
 * @param systemTime      system CPU time, likewise
 * @param peakMemoryBytes peak memory of the whole sandbox (cgroup), or -1 where no accurate figure exists.
 *                        getrusage's ru_maxrss is never used: a child spawned by vfork from the JVM inherits
 *                        the JVM's high-water mark at exec, so it would report the JVM's size.
 * @param peakProcesses   most processes and threads alive at once (cgroup), or -1
 * @param stdoutBytes     bytes written to stdout, or -1 when not counted (counted when an output limit is set)
 * @param stderrBytes     bytes written to stderr, likewise
 * @param measuredBy      where the figures come from, e.g. "cgroup v1" or "getrusage"
 * @param layers          the enforcement layers that were applied, e.g. "landlock abi 7", "seccomp"
 * @param notEnforced     what the policy asked for and the kernel could not enforce (only in best-effort mode)
 * @param violations      the calls the policy refused, in order (at most the first 1000)
 * @param violationCount  how many calls were refused in all
 * @param processes       every process of the sandbox, in order of creation (from the ptrace guard; empty when
 *                        the guard could not be used)
 */
public record RunResult(int pid, Termination termination, Verdict verdict, Optional<LimitExceeded> limitExceeded,
                        Duration wallTime, Duration userTime, Duration systemTime, long peakMemoryBytes,
                        long peakProcesses, long stdoutBytes, long stderrBytes, String measuredBy,
                        List<String> layers, List<String> notEnforced, List<Violation> violations,
                        long violationCount, List<SandboxedProcessInfo> processes) {
    public RunResult {
        layers = List.copyOf(layers);
        notEnforced = List.copyOf(notEnforced);
        violations = List.copyOf(violations);
        processes = List.copyOf(processes);
    }

    public int exitStatus() {
        return termination.exitStatus();
    }
}
