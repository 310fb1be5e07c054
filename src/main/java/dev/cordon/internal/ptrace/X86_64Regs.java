package dev.cordon.internal.ptrace;

import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.syscalls.Arch;

/**
 * x86_64 {@code struct user_regs_struct}: 27 u64. Byte offsets: r10 56, r9 64, r8 72, rax 80, rdx 96,
 * rsi 104, rdi 112, orig_rax 120, rip 128. At a seccomp stop orig_rax holds the call number; setting it
 * to -1 skips the call, and rax (set together) is what the program sees.
 */
final class X86_64Regs implements Regs {
    private static final int R10 = 7, R9 = 8, R8 = 9, RAX = 10, RDX = 12, RSI = 13, RDI = 14, ORIG_RAX = 15, RIP = 16;
    private static final int[] ARGS = {RDI, RSI, RDX, R10, R8, R9};

    @Override
    public int words() {
        return 27;
    }

    @Override
    public int auditArch() {
        return Arch.X86_64.auditArch;
    }

    @Override
    public int nr(long[] r) {
        return (int) r[ORIG_RAX];
    }

    @Override
    public long arg(long[] r, int i) {
        return r[ARGS[i]];
    }

    @Override
    public long ip(long[] r) {
        return r[RIP];
    }

    @Override
    public void skip(int tid, long[] r, long result) {
        long[] w = r.clone();
        w[ORIG_RAX] = -1;
        w[RAX] = result;
        Sys.ptraceSetRegset(tid, Sys.NT_PRSTATUS, w, words() * 8);
    }

    @Override
    public void setArg(int tid, long[] r, int i, long value) {
        long[] w = r.clone();
        w[ARGS[i]] = value;
        Sys.ptraceSetRegset(tid, Sys.NT_PRSTATUS, w, words() * 8);
    }
}
