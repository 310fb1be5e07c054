package dev.cordon.internal.supervise;

/** The supervisor's answer to one notified system call. */
public sealed interface Decision {
    /**
     * Let the kernel run the call as the program made it. Sound only where the supervisor read nothing the
     * program can change, or where the kernel enforces the same rule anyway (Landlock).
     */
    record Continue() implements Decision {}

    /** Fail the call with this errno, without running it. */
    record Fail(int errno) implements Decision {}

    /** The supervisor ran the call itself; this is its result. */
    record Value(long value) implements Decision {}

    /** The answer was already given (for example with SECCOMP_ADDFD_FLAG_SEND). */
    record Answered() implements Decision {}

    Decision CONTINUE = new Continue();
    Decision ANSWERED = new Answered();

    static Decision fail(int errno) {
        return new Fail(errno);
    }
}
