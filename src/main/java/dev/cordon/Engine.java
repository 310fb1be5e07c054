package dev.cordon;

/** How the supervisor sees the calls it must decide. */
public enum Engine {
    /** seccomp user notification (the default): the program waits in the kernel while the supervisor decides. */
    NOTIFY,
    /**
     * ptrace with {@code SECCOMP_RET_TRACE}: the tracer decides at each seccomp stop, and can change registers
     * (an argument, the return value). The held first exec, later execs, setsid and the calls Cordon's own launch
     * makes stay on user notification (they happen before the tracer is attached, or are needed to attach it).
     */
    PTRACE
}
