package dev.cordon;

import java.time.Duration;
import java.util.List;

/**
 * What happened in one run.
 *
 * @param pid         the program's process id, as the caller sees it
 * @param termination exit code or signal of the program
 * @param wallTime    from launch to exit
 * @param userTime    user CPU time of the program and of the children it waited for
 * @param systemTime  system CPU time, likewise
 * @param peakMemoryBytes peak memory of the sandbox, or -1 where no accurate figure exists. getrusage's
 *                     ru_maxrss is not used: a child spawned by vfork from the JVM inherits the JVM's
 *                     high-water mark at exec, so it would report the JVM's size.
 * @param layers      the enforcement layers that were applied, e.g. "landlock abi 7", "seccomp"
 * @param notEnforced what the policy asked for and the kernel could not enforce (only in best-effort mode)
 */
public record RunResult(int pid, Termination termination, Duration wallTime, Duration userTime, Duration systemTime,
                        long peakMemoryBytes, List<String> layers, List<String> notEnforced) {
    public RunResult {
        layers = List.copyOf(layers);
        notEnforced = List.copyOf(notEnforced);
    }

    public int exitStatus() {
        return termination.exitStatus();
    }
}
