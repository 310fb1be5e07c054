package dev.cordon.internal.ptrace;

/**
 * What a {@link Tracer} reports. Every callback runs on the tracer thread while the tracee concerned is
 * stopped: keep them short (a slow callback stalls every process of the sandbox that needs the tracer),
 * and never call ptrace from another thread. An exception from a callback kills the sandbox.
 */
public interface TraceHandler {
    /** A new process {@code childPid} created by process {@code parentPid}; it has not run yet. */
    default void onFork(int parentPid, int childPid) {}

    /** A new thread {@code tid} in process {@code pid}. */
    default void onThread(int pid, int tid) {}

    /**
     * Process {@code pid} completed an execve. {@code formerTid} is the thread that called it: equal to
     * {@code pid} unless a non-leader thread exec'd (it then took the leader's pid and its own tid is gone).
     */
    default void onExec(int pid, int formerTid) {}

    /** Process {@code pid} (its last thread) is gone. */
    default void onExit(int pid, ExitStatus status) {}

    /** Thread {@code tid} of process {@code pid} is gone. */
    default void onThreadExit(int pid, int tid) {}

    /**
     * ENGINE mode: thread {@code tid} is stopped at a call its seccomp filter returned SECCOMP_RET_TRACE for.
     * Memory the arguments point to can be read with {@link Tracer#readMemory}.
     */
    default TraceDecision onSyscall(int tid, SyscallStop stop) {
        return TraceDecision.ALLOW;
    }

    TraceHandler NONE = new TraceHandler() {};
}
