package dev.cordon.internal.seccomp;

/**
 * One {@code struct sock_filter}: 16-bit opcode, 8-bit jump offsets (relative to the next instruction)
 * and a 32-bit constant. Stored as ints, range-checked, so callers need no casts.
 */
public record Insn(int code, int jt, int jf, int k) {

    public Insn {
        if ((code & ~0xffff) != 0) throw new IllegalArgumentException("opcode out of u16 range: " + code);
        if ((jt & ~0xff) != 0 || (jf & ~0xff) != 0) {
            throw new IllegalArgumentException("jump offsets out of u8 range: jt=" + jt + " jf=" + jf);
        }
    }

    public static Insn stmt(int code, int k) { return new Insn(code, 0, 0, k); }

    public static Insn jump(int code, int k, int jt, int jf) { return new Insn(code, jt, jf, k); }

    /** Disassembly of this instruction at index {@code pc} (jump targets printed as absolute indices). */
    public String disassemble(int pc) {
        int c = code;
        String x = Bpf.src(c) == Bpf.X ? "x" : "#0x" + Integer.toHexString(k);
        return switch (Bpf.cls(c)) {
            case Bpf.LD -> switch (Bpf.mode(c)) {
                case Bpf.ABS -> "ld [" + k + "]" + (Bpf.size(c) == Bpf.W ? "" : " (size " + Bpf.size(c) + ")");
                case Bpf.IMM -> "ld #0x" + Integer.toHexString(k);
                case Bpf.MEM -> "ld M[" + k + "]";
                case Bpf.LEN -> "ld #len";
                default -> unknown();
            };
            case Bpf.LDX -> switch (Bpf.mode(c)) {
                case Bpf.IMM -> "ldx #0x" + Integer.toHexString(k);
                case Bpf.MEM -> "ldx M[" + k + "]";
                case Bpf.LEN -> "ldx #len";
                default -> unknown();
            };
            case Bpf.ST -> "st M[" + k + "]";
            case Bpf.STX -> "stx M[" + k + "]";
            case Bpf.ALU -> switch (Bpf.op(c)) {
                case Bpf.ADD -> "add " + x;
                case Bpf.SUB -> "sub " + x;
                case Bpf.MUL -> "mul " + x;
                case Bpf.DIV -> "div " + x;
                case Bpf.OR -> "or " + x;
                case Bpf.AND -> "and " + x;
                case Bpf.LSH -> "lsh " + x;
                case Bpf.RSH -> "rsh " + x;
                case Bpf.NEG -> "neg";
                case Bpf.MOD -> "mod " + x;
                case Bpf.XOR -> "xor " + x;
                default -> unknown();
            };
            case Bpf.JMP -> {
                if (Bpf.op(c) == Bpf.JA) yield "ja " + (pc + 1 + k);
                String name = switch (Bpf.op(c)) {
                    case Bpf.JEQ -> "jeq";
                    case Bpf.JGT -> "jgt";
                    case Bpf.JGE -> "jge";
                    case Bpf.JSET -> "jset";
                    default -> null;
                };
                yield name == null ? unknown() : name + " " + x + ", " + (pc + 1 + jt) + ", " + (pc + 1 + jf);
            }
            case Bpf.RET -> (c & 0x18) == Bpf.RET_A ? "ret a" : (c & 0x18) == Bpf.K ? "ret #0x" + Integer.toHexString(k) : unknown();
            case Bpf.MISC -> (c & 0xf8) == Bpf.TXA ? "txa" : (c & 0xf8) == Bpf.TAX ? "tax" : unknown();
            default -> unknown();
        };
    }

    private String unknown() {
        return "unknown 0x%04x jt=%d jf=%d k=0x%x".formatted(code, jt, jf, k);
    }
}
