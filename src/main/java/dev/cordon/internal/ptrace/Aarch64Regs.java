package dev.cordon.internal.ptrace;

import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.syscalls.Arch;

/**
 * aarch64 {@code struct user_pt_regs}: x0..x30, sp, pc, pstate (34 u64). The call number is in x8 and the
 * arguments in x0..x5. The number the kernel will run cannot be changed through x8: it is the separate
 * NT_ARM_SYSTEM_CALL set (an int); -1 there skips the call, and x0 is what the program sees.
 */
final class Aarch64Regs implements Regs {
    private static final int X0 = 0, X8 = 8, PC = 32;

    @Override
    public int words() {
        return 34;
    }

    @Override
    public int auditArch() {
        return Arch.AARCH64.auditArch;
    }

    @Override
    public int nr(long[] r) {
        return (int) r[X8];
    }

    @Override
    public long arg(long[] r, int i) {
        return r[X0 + i];
    }

    @Override
    public long ip(long[] r) {
        return r[PC];
    }

    @Override
    public void skip(int tid, long[] r, long result) {
        Sys.ptraceSetRegset(tid, Sys.NT_ARM_SYSTEM_CALL, new long[] {0xffffffffL}, 4); // (int) -1
        long[] w = r.clone();
        w[X0] = result;
        Sys.ptraceSetRegset(tid, Sys.NT_PRSTATUS, w, words() * 8);
    }

    @Override
    public void setArg(int tid, long[] r, int i, long value) {
        // Arguments are x0..x5; at a seccomp stop the call has not read them yet.
        long[] w = r.clone();
        w[X0 + i] = value;
        Sys.ptraceSetRegset(tid, Sys.NT_PRSTATUS, w, words() * 8);
    }
}
