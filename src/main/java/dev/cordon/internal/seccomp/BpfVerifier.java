package dev.cordon.internal.seccomp;

/**
 * The checks the kernel makes before accepting a seccomp filter (bpf_check_classic and
 * seccomp_check_filter), done in Java so a bad program is caught with a precise message at compile
 * time rather than as a bare EINVAL at load time.
 * <p>Classic BPF only jumps forward, so once every jump target is inside the program and the last
 * instruction is a RET, no path can fall off the end: those two checks are the whole flow analysis.
 * Not checked (the kernel does): reading a scratch word that no path has stored.
 */
public final class BpfVerifier {
    private BpfVerifier() {}

    public static void verify(BpfProgram p) {
        int n = p.size();
        if (n == 0) throw new BpfException("empty program");
        if (n > Bpf.MAX_INSNS) throw new BpfException("program has " + n + " instructions, the kernel limit is " + Bpf.MAX_INSNS);
        for (int pc = 0; pc < n; pc++) {
            Insn i = p.get(pc);
            int c = i.code(), k = i.k();
            switch (c) {
                case Bpf.LD | Bpf.W | Bpf.ABS -> {
                    if (k < 0 || k > Bpf.SECCOMP_DATA_SIZE - 4 || (k & 3) != 0) {
                        throw fail(pc, i, "load offset " + Integer.toUnsignedString(k)
                                + " is not a 4-byte aligned word inside struct seccomp_data (64 bytes)");
                    }
                }
                case Bpf.LD | Bpf.IMM, Bpf.LDX | Bpf.IMM, Bpf.LD | Bpf.W | Bpf.LEN, Bpf.LDX | Bpf.W | Bpf.LEN,
                     Bpf.MISC | Bpf.TAX, Bpf.MISC | Bpf.TXA, Bpf.RET | Bpf.K, Bpf.RET | Bpf.RET_A,
                     Bpf.ALU | Bpf.NEG -> { }
                case Bpf.LD | Bpf.MEM, Bpf.LDX | Bpf.MEM, Bpf.ST, Bpf.STX -> {
                    if (k < 0 || k >= Bpf.MEMWORDS) {
                        throw fail(pc, i, "scratch memory index " + Integer.toUnsignedString(k) + " out of range 0..15");
                    }
                }
                case Bpf.ALU | Bpf.ADD | Bpf.K, Bpf.ALU | Bpf.ADD | Bpf.X, Bpf.ALU | Bpf.SUB | Bpf.K,
                     Bpf.ALU | Bpf.SUB | Bpf.X, Bpf.ALU | Bpf.MUL | Bpf.K, Bpf.ALU | Bpf.MUL | Bpf.X,
                     Bpf.ALU | Bpf.DIV | Bpf.X, Bpf.ALU | Bpf.MOD | Bpf.X, Bpf.ALU | Bpf.OR | Bpf.K,
                     Bpf.ALU | Bpf.OR | Bpf.X, Bpf.ALU | Bpf.AND | Bpf.K, Bpf.ALU | Bpf.AND | Bpf.X,
                     Bpf.ALU | Bpf.XOR | Bpf.K, Bpf.ALU | Bpf.XOR | Bpf.X, Bpf.ALU | Bpf.LSH | Bpf.X,
                     Bpf.ALU | Bpf.RSH | Bpf.X -> { }
                case Bpf.ALU | Bpf.DIV | Bpf.K, Bpf.ALU | Bpf.MOD | Bpf.K -> {
                    if (k == 0) throw fail(pc, i, "division by constant zero");
                }
                case Bpf.ALU | Bpf.LSH | Bpf.K, Bpf.ALU | Bpf.RSH | Bpf.K -> {
                    if (Integer.compareUnsigned(k, 32) >= 0) throw fail(pc, i, "shift by " + Integer.toUnsignedString(k) + " >= 32");
                }
                case Bpf.JMP | Bpf.JA -> {
                    long target = pc + 1L + Integer.toUnsignedLong(k);
                    if (target >= n) throw fail(pc, i, "jump target " + target + " is outside the program (" + n + " instructions)");
                }
                case Bpf.JMP | Bpf.JEQ | Bpf.K, Bpf.JMP | Bpf.JEQ | Bpf.X, Bpf.JMP | Bpf.JGT | Bpf.K,
                     Bpf.JMP | Bpf.JGT | Bpf.X, Bpf.JMP | Bpf.JGE | Bpf.K, Bpf.JMP | Bpf.JGE | Bpf.X,
                     Bpf.JMP | Bpf.JSET | Bpf.K, Bpf.JMP | Bpf.JSET | Bpf.X -> {
                    int t = pc + 1 + i.jt(), f = pc + 1 + i.jf();
                    if (t >= n || f >= n) {
                        throw fail(pc, i, "jump target " + (t >= n ? t : f) + " is outside the program (" + n + " instructions)");
                    }
                }
                default -> throw fail(pc, i, "unknown or disallowed opcode 0x" + Integer.toHexString(c));
            }
        }
        Insn last = p.get(n - 1);
        if (Bpf.cls(last.code()) != Bpf.RET) {
            throw fail(n - 1, last, "the last instruction is not a RET: execution can fall off the end");
        }
    }

    private static BpfException fail(int pc, Insn i, String why) {
        return new BpfException("instruction " + pc + " (" + i.disassemble(pc) + "): " + why);
    }
}
