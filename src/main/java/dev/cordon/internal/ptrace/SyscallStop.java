package dev.cordon.internal.ptrace;

import java.util.Arrays;

/**
 * The system call a tracee is stopped at (a seccomp stop): number, the six argument registers, the
 * instruction pointer and the AUDIT_ARCH_* value of its ABI. Pointer arguments point into the tracee,
 * whose other threads may change the memory at any moment: see {@link Tracer#readMemory}.
 */
public record SyscallStop(int nr, long[] args, long ip, int arch) {
    public SyscallStop {
        if (args.length != 6) throw new IllegalArgumentException("6 arguments expected");
        args = args.clone();
    }

    public long arg(int i) {
        return args[i];
    }

    @Override
    public long[] args() {
        return args.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SyscallStop s && s.nr == nr && s.ip == ip && s.arch == arch && Arrays.equals(s.args, args);
    }

    @Override
    public int hashCode() {
        return nr * 31 + Arrays.hashCode(args);
    }

    @Override
    public String toString() {
        return "SyscallStop[nr=" + nr + ", args=" + Arrays.toString(args) + ", ip=0x" + Long.toHexString(ip)
                + ", arch=0x" + Integer.toHexString(arch) + "]";
    }
}
