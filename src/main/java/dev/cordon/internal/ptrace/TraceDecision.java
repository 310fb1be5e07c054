package dev.cordon.internal.ptrace;

/** The answer to one seccomp stop ({@link TraceHandler#onSyscall}). */
public sealed interface TraceDecision {
    /** Let the call run as made. */
    record Allow() implements TraceDecision {}

    /** Skip the call; the program sees -1 with this errno. */
    record Deny(int errno) implements TraceDecision {
        public Deny {
            if (errno <= 0 || errno > 4095) throw new IllegalArgumentException("errno " + errno);
        }
    }

    /** Kill every process of the sandbox (SIGKILL to every tracee), for this reason. */
    record Kill(String reason) implements TraceDecision {}

    /** Let the call run with argument {@code index} (0..5) changed to {@code value}: what user notification cannot do. */
    record SetArg(int index, long value) implements TraceDecision {
        public SetArg {
            if (index < 0 || index > 5) throw new IllegalArgumentException("argument " + index);
        }
    }

    TraceDecision ALLOW = new Allow();

    static TraceDecision deny(int errno) {
        return new Deny(errno);
    }

    static TraceDecision kill(String reason) {
        return new Kill(reason);
    }
}
