package dev.cordon.internal.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** A classic BPF program, as passed to seccomp(SECCOMP_SET_MODE_FILTER) in a {@code struct sock_fprog}. */
public record BpfProgram(List<Insn> insns) {

    public BpfProgram {
        insns = List.copyOf(insns);
    }

    public int size() {
        return insns.size();
    }

    public Insn get(int pc) {
        return insns.get(pc);
    }

    /** The {@code struct sock_filter[]} array: u16 code, u8 jt, u8 jf, u32 k, in native byte order. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(insns.size() * 8).order(ByteOrder.nativeOrder());
        for (Insn i : insns) {
            b.putShort((short) i.code()).put((byte) i.jt()).put((byte) i.jf()).putInt(i.k());
        }
        return b.array();
    }

    /** Parses a {@code struct sock_filter[]} array in native byte order (the inverse of {@link #toBytes()}). */
    public static BpfProgram fromBytes(byte[] bytes) {
        if (bytes.length % 8 != 0) throw new IllegalArgumentException("length " + bytes.length + " is not a multiple of 8");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        List<Insn> out = new ArrayList<>();
        while (b.hasRemaining()) {
            int code = b.getShort() & 0xffff, jt = b.get() & 0xff, jf = b.get() & 0xff, k = b.getInt();
            out.add(new Insn(code, jt, jf, k));
        }
        return new BpfProgram(out);
    }

    /** Disassembly, one instruction per line. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int pc = 0; pc < insns.size(); pc++) {
            sb.append("%4d: %s%n".formatted(pc, insns.get(pc).disassemble(pc)));
        }
        return sb.toString();
    }
}
