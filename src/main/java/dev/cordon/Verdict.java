package dev.cordon;

/** One word for how a run went, as online judges need it. */
public enum Verdict {
    /** Exited with code 0 within every limit. */
    OK,
    /** Exited with a non-zero code, or was killed by a signal that no limit explains. */
    RUNTIME_ERROR,
    /** Exceeded the CPU time or the wall time limit. */
    TIME_LIMIT,
    /** Killed by the out-of-memory killer in the sandbox's own cgroup (never confused with a plain SIGKILL). */
    MEMORY_LIMIT,
    /** Wrote more than the output limit, or a file larger than the file-size limit. */
    OUTPUT_LIMIT,
    /** Tried to have more processes than the process limit allows. */
    PROCESS_LIMIT,
    /**
     * Killed by the sandbox for breaking the policy (a foreign-architecture system call, a call the syscall
     * policy kills for). Calls that were refused with an errno do not decide the verdict: libraries probe
     * routinely (glibc tries nscd's unix socket on every user lookup); they are listed in
     * {@link RunResult#violations()}.
     */
    POLICY_VIOLATION,
    /** The sandbox could not be set up. */
    SANDBOX_ERROR
}
