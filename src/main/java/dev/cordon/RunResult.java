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
 * @param peakRssBytes largest resident set of the program or of a child it waited for (getrusage's
 *                     ru_maxrss: a per-process figure, not the sum over the tree)
 * @param layers      the enforcement layers that were applied, e.g. "landlock abi 7", "seccomp"
 * @param notEnforced what the policy asked for and the kernel could not enforce (only in best-effort mode)
 */
public record RunResult(int pid, Termination termination, Duration wallTime, Duration userTime, Duration systemTime,
                        long peakRssBytes, List<String> layers, List<String> notEnforced) {
    public RunResult {
        layers = List.copyOf(layers);
        notEnforced = List.copyOf(notEnforced);
    }

    public int exitStatus() {
        return termination.exitStatus();
    }
}
