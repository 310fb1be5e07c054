package dev.cordon.internal.ptrace;

import dev.cordon.internal.syscalls.Arch;

/**
 * The per-architecture part of reading and changing a tracee stopped at a system call: the layout of
 * the NT_PRSTATUS register set, and how to skip a call with a chosen result. Registers are handled as
 * 64-bit words as PTRACE_GETREGSET fills them.
 */
sealed interface Regs permits X86_64Regs, Aarch64Regs {
    /** Size of the native NT_PRSTATUS set in 64-bit words. A different size means a non-native ABI. */
    int words();

    /** AUDIT_ARCH_* of the native ABI. */
    int auditArch();

    int nr(long[] r);

    long arg(long[] r, int i);

    long ip(long[] r);

    /**
     * Makes the tracee (stopped at a seccomp stop, registers {@code r}) skip the call and see {@code result}
     * as its return value. Throws SyscallException (ESRCH) if it is no longer stopped.
     */
    void skip(int tid, long[] r, long result);

    /** Changes argument {@code i} of the call the tracee is stopped at, which then runs with it. */
    void setArg(int tid, long[] r, int i, long value);

    default SyscallStop stop(long[] r) {
        long[] args = new long[6];
        for (int i = 0; i < 6; i++) args[i] = arg(r, i);
        return new SyscallStop(nr(r), args, ip(r), auditArch());
    }

    /** Same call, same arguments, same place: the tracee has not moved since {@code before} was read. */
    default boolean sameCall(long[] before, long[] now) {
        if (nr(before) != nr(now) || ip(before) != ip(now)) return false;
        for (int i = 0; i < 6; i++) if (arg(before, i) != arg(now, i)) return false;
        return true;
    }

    static Regs current() {
        return switch (Arch.current()) {
            case X86_64 -> new X86_64Regs();
            case AARCH64 -> new Aarch64Regs();
        };
    }
}
