package dev.cordon.internal.ptrace;

/** What a {@link Tracer} is for; each mode is a set of PTRACE_O_* options given at PTRACE_SEIZE. */
public enum TraceMode {
    /**
     * Beside the seccomp-user-notification engine: follow every descendant from its first instruction
     * (fork, vfork, clone, exec events) and kill the whole tree if the tracer thread dies (EXITKILL).
     * No syscall or seccomp stops: a fork-heavy program pays only for its forks and execs.
     */
    GUARD(Options.TRACEFORK | Options.TRACEVFORK | Options.TRACECLONE | Options.TRACEEXEC | Options.EXITKILL),
    /**
     * The ptrace engine: as {@link #GUARD}, plus a seccomp stop for every call the filter answers with
     * SECCOMP_RET_TRACE, decided by {@link TraceHandler#onSyscall}.
     */
    ENGINE(GUARD.options | Options.TRACESECCOMP | Options.TRACESYSGOOD);

    /** The PTRACE_O_* bits. */
    public final int options;

    TraceMode(int options) {
        this.options = options;
    }

    /** PTRACE_O_* values from linux/ptrace.h. */
    static final class Options {
        private Options() {}

        static final int TRACESYSGOOD = 1, TRACEFORK = 2, TRACEVFORK = 4, TRACECLONE = 8, TRACEEXEC = 0x10,
                TRACEVFORKDONE = 0x20, TRACEEXIT = 0x40, TRACESECCOMP = 0x80, EXITKILL = 0x100000;
    }
}
