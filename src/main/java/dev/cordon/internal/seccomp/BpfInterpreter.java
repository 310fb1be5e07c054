package dev.cordon.internal.seccomp;

/**
 * Runs a classic BPF program the way the kernel runs a seccomp filter, so compiled filters (ours and
 * libseccomp's) can be tested without loading them. Only the subset seccomp accepts is implemented; the
 * program is assumed to have passed {@link BpfVerifier}. Division or modulo by a zero X register ends
 * the program with 0, as the kernel does.
 */
public final class BpfInterpreter {
    private BpfInterpreter() {}

    /** The 32-bit return value and how many instructions ran (the RET included). */
    public record Result(int ret, int executed) {}

    public static Result run(BpfProgram program, SeccompData data) {
        int a = 0, x = 0, pc = 0, executed = 0;
        int[] mem = new int[Bpf.MEMWORDS];
        while (true) {
            if (pc < 0 || pc >= program.size()) throw new IllegalStateException("pc " + pc + " outside program");
            Insn i = program.get(pc++);
            executed++;
            int c = i.code(), k = i.k();
            switch (Bpf.cls(c)) {
                case Bpf.LD -> {
                    switch (Bpf.mode(c)) {
                        case Bpf.ABS -> a = data.word(k);
                        case Bpf.IMM -> a = k;
                        case Bpf.MEM -> a = mem[k];
                        case Bpf.LEN -> a = Bpf.SECCOMP_DATA_SIZE;
                        default -> throw bad(i, pc - 1);
                    }
                }
                case Bpf.LDX -> {
                    switch (Bpf.mode(c)) {
                        case Bpf.IMM -> x = k;
                        case Bpf.MEM -> x = mem[k];
                        case Bpf.LEN -> x = Bpf.SECCOMP_DATA_SIZE;
                        default -> throw bad(i, pc - 1);
                    }
                }
                case Bpf.ST -> mem[k] = a;
                case Bpf.STX -> mem[k] = x;
                case Bpf.ALU -> {
                    int v = Bpf.src(c) == Bpf.X ? x : k;
                    switch (Bpf.op(c)) {
                        case Bpf.ADD -> a += v;
                        case Bpf.SUB -> a -= v;
                        case Bpf.MUL -> a *= v;
                        case Bpf.DIV -> {
                            if (v == 0) return new Result(0, executed);
                            a = Integer.divideUnsigned(a, v);
                        }
                        case Bpf.MOD -> {
                            if (v == 0) return new Result(0, executed);
                            a = Integer.remainderUnsigned(a, v);
                        }
                        case Bpf.OR -> a |= v;
                        case Bpf.AND -> a &= v;
                        case Bpf.XOR -> a ^= v;
                        case Bpf.LSH -> a = v >= 32 || v < 0 ? 0 : a << v;
                        case Bpf.RSH -> a = v >= 32 || v < 0 ? 0 : a >>> v;
                        case Bpf.NEG -> a = -a;
                        default -> throw bad(i, pc - 1);
                    }
                }
                case Bpf.JMP -> {
                    int v = Bpf.src(c) == Bpf.X ? x : k;
                    boolean taken = switch (Bpf.op(c)) {
                        case Bpf.JA -> {
                            pc += k;
                            yield false;
                        }
                        case Bpf.JEQ -> a == v;
                        case Bpf.JGT -> Integer.compareUnsigned(a, v) > 0;
                        case Bpf.JGE -> Integer.compareUnsigned(a, v) >= 0;
                        case Bpf.JSET -> (a & v) != 0;
                        default -> throw bad(i, pc - 1);
                    };
                    if (Bpf.op(c) != Bpf.JA) pc += taken ? i.jt() : i.jf();
                }
                case Bpf.RET -> {
                    return new Result((c & 0x18) == Bpf.RET_A ? a : k, executed);
                }
                case Bpf.MISC -> {
                    if ((c & 0xf8) == Bpf.TAX) x = a;
                    else if ((c & 0xf8) == Bpf.TXA) a = x;
                    else throw bad(i, pc - 1);
                }
                default -> throw bad(i, pc - 1);
            }
        }
    }

    private static IllegalStateException bad(Insn i, int pc) {
        return new IllegalStateException("unsupported instruction at " + pc + ": " + i.disassemble(pc));
    }
}
