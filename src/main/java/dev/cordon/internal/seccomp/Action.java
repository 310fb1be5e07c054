package dev.cordon.internal.seccomp;

/**
 * What a seccomp filter returns for a syscall. Each alternative knows its 32-bit {@code SECCOMP_RET_*}
 * value, so the compiler never has to interpret actions, only emit {@link #ret()}.
 */
public sealed interface Action {

    /** The 32-bit value the BPF program returns. */
    int ret();

    /**
     * Restrictiveness rank, higher is more restrictive, in the order the kernel uses to pick among the
     * results of stacked filters (KILL_PROCESS &gt; KILL_THREAD &gt; TRAP &gt; ERRNO &gt; USER_NOTIF &gt; TRACE
     * &gt; LOG &gt; ALLOW). Used when several rules of one syscall match the same call.
     */
    default int severity() {
        // instanceof, not a pattern switch: each pattern switch's bootstrap costs the CLI's start-up a generated class.
        if (this instanceof KillProcess) return 7;
        if (this instanceof KillThread) return 6;
        if (this instanceof Trap) return 5;
        if (this instanceof Errno) return 4;
        if (this instanceof UserNotif) return 3;
        if (this instanceof Trace) return 2;
        if (this instanceof Log) return 1;
        if (this instanceof Allow) return 0;
        throw new IllegalStateException("unknown action " + this);
    }

    /** Kill the whole process (SECCOMP_RET_KILL_PROCESS). */
    record KillProcess() implements Action {
        public int ret() { return 0x80000000; }
    }

    /** Kill the calling thread only (SECCOMP_RET_KILL_THREAD). */
    record KillThread() implements Action {
        public int ret() { return 0x00000000; }
    }

    /** Deliver SIGSYS; {@code data} (16 bits) is passed in si_errno. */
    record Trap(int data) implements Action {
        public Trap {
            if ((data & ~0xffff) != 0) throw new IllegalArgumentException("trap data out of range 0..65535: " + data);
        }
        public int ret() { return 0x00030000 | data; }
    }

    /** Fail the syscall with {@code -errno} without running it. */
    record Errno(int errno) implements Action {
        public Errno {
            if (errno < 0 || errno > 4095) throw new IllegalArgumentException("errno out of range 0..4095: " + errno);
        }
        public int ret() { return 0x00050000 | (errno & 0xffff); }
    }

    /** Notify a ptrace tracer with {@code data}; without a tracer the call fails with ENOSYS. */
    record Trace(int data) implements Action {
        public Trace {
            if ((data & ~0xffff) != 0) throw new IllegalArgumentException("trace data out of range 0..65535: " + data);
        }
        public int ret() { return 0x7ff00000 | (data & 0xffff); }
    }

    /** Allow the call after logging it. */
    record Log() implements Action {
        public int ret() { return 0x7ffc0000; }
    }

    /** Hand the call to the user-space supervisor listening on the notification fd. */
    record UserNotif() implements Action {
        public int ret() { return 0x7fc00000; }
    }

    /** Let the call run. */
    record Allow() implements Action {
        public int ret() { return 0x7fff0000; }
    }

    Action KILL_PROCESS = new KillProcess();
    Action KILL_THREAD = new KillThread();
    Action TRAP = new Trap(0);
    Action LOG = new Log();
    Action USER_NOTIF = new UserNotif();
    Action ALLOW = new Allow();

    static Action errno(int errno) {
        return new Errno(errno);
    }

    static Action trace(int data) {
        return new Trace(data);
    }

    static Action trap(int data) {
        return new Trap(data);
    }
}
