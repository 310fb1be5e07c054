package dev.cordon.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BpfVerifierTest {
    static final Insn RET_ALLOW = Insn.stmt(Bpf.RET | Bpf.K, 0x7fff0000);

    static void rejects(String message, Insn... insns) {
        assertThatThrownBy(() -> BpfVerifier.verify(new BpfProgram(List.of(insns))))
                .isInstanceOf(BpfException.class)
                .hasMessageContaining(message);
    }

    @Test
    void acceptsAProgramUsingTheWholeSubset() {
        List<Insn> p = List.of(
                Insn.stmt(Bpf.LD | Bpf.W | Bpf.ABS, 60),
                Insn.stmt(Bpf.ST, 15),
                Insn.stmt(Bpf.LDX | Bpf.MEM, 15),
                Insn.stmt(Bpf.ALU | Bpf.ADD | Bpf.X, 0),
                Insn.stmt(Bpf.ALU | Bpf.DIV | Bpf.K, 3),
                Insn.stmt(Bpf.MISC | Bpf.TAX, 0),
                Insn.stmt(Bpf.MISC | Bpf.TXA, 0),
                Insn.jump(Bpf.JMP | Bpf.JSET | Bpf.K, 1, 1, 0),
                Insn.stmt(Bpf.JMP | Bpf.JA, 0),
                Insn.stmt(Bpf.RET | Bpf.RET_A, 0));
        assertThatCode(() -> BpfVerifier.verify(new BpfProgram(p))).doesNotThrowAnyException();
    }

    @Test
    void empty() {
        rejects("empty program");
    }

    @Test
    void tooLong() {
        List<Insn> p = new ArrayList<>();
        for (int i = 0; i < 4097; i++) p.add(RET_ALLOW);
        assertThatThrownBy(() -> BpfVerifier.verify(new BpfProgram(p)))
                .hasMessage("program has 4097 instructions, the kernel limit is 4096");
    }

    @Test
    void conditionalJumpOutside() {
        rejects("instruction 0 (jeq #0x1, 3, 1): jump target 3 is outside the program (2 instructions)",
                Insn.jump(Bpf.JMP | Bpf.JEQ | Bpf.K, 1, 2, 0), RET_ALLOW);
    }

    @Test
    void longJumpOutside() {
        rejects("jump target 6 is outside the program", Insn.stmt(Bpf.JMP | Bpf.JA, 5), RET_ALLOW);
        rejects("jump target 4294967296 is outside", Insn.stmt(Bpf.JMP | Bpf.JA, -1), RET_ALLOW);
    }

    @Test
    void unknownOpcode() {
        rejects("instruction 0 (unknown 0x00ff jt=0 jf=0 k=0x0): unknown or disallowed opcode 0xff",
                Insn.stmt(0xff, 0), RET_ALLOW);
        rejects("unknown or disallowed opcode 0x28", Insn.stmt(Bpf.LD | Bpf.H | Bpf.ABS, 0), RET_ALLOW);
        rejects("unknown or disallowed opcode 0x40", Insn.stmt(Bpf.LD | Bpf.W | Bpf.IND, 0), RET_ALLOW);
        rejects("unknown or disallowed opcode 0xe", Insn.stmt(Bpf.RET | Bpf.X, 0), RET_ALLOW);
    }

    @Test
    void loadsMustBeAlignedWordsInsideSeccompData() {
        rejects("load offset 2 is not a 4-byte aligned word inside struct seccomp_data (64 bytes)",
                Insn.stmt(Bpf.LD | Bpf.W | Bpf.ABS, 2), RET_ALLOW);
        rejects("load offset 64 is not", Insn.stmt(Bpf.LD | Bpf.W | Bpf.ABS, 64), RET_ALLOW);
        rejects("load offset 4294967292 is not", Insn.stmt(Bpf.LD | Bpf.W | Bpf.ABS, -4), RET_ALLOW);
    }

    @Test
    void scratchMemoryIndex() {
        rejects("scratch memory index 16 out of range 0..15", Insn.stmt(Bpf.ST, 16), RET_ALLOW);
        rejects("scratch memory index 16 out of range", Insn.stmt(Bpf.LDX | Bpf.MEM, 16), RET_ALLOW);
        rejects("scratch memory index 4294967295 out of range", Insn.stmt(Bpf.LD | Bpf.MEM, -1), RET_ALLOW);
    }

    @Test
    void lastInstructionMustReturn() {
        rejects("instruction 1 (ld [0]): the last instruction is not a RET: execution can fall off the end",
                RET_ALLOW, Insn.stmt(Bpf.LD | Bpf.W | Bpf.ABS, 0));
    }

    @Test
    void divisionByConstantZero() {
        rejects("division by constant zero", Insn.stmt(Bpf.ALU | Bpf.DIV | Bpf.K, 0), RET_ALLOW);
        rejects("division by constant zero", Insn.stmt(Bpf.ALU | Bpf.MOD | Bpf.K, 0), RET_ALLOW);
    }

    @Test
    void interpreterRunsTheSubset() {
        BpfProgram p = new BpfProgram(List.of(
                Insn.stmt(Bpf.LD | Bpf.W | Bpf.ABS, 16),        // A = low word of args[0]
                Insn.stmt(Bpf.ALU | Bpf.MUL | Bpf.K, 3),
                Insn.stmt(Bpf.ALU | Bpf.SUB | Bpf.K, 1),
                Insn.stmt(Bpf.ST, 2),
                Insn.stmt(Bpf.LDX | Bpf.IMM, 4),
                Insn.stmt(Bpf.ALU | Bpf.MOD | Bpf.X, 0),       // A = (3a - 1) % 4
                Insn.stmt(Bpf.ALU | Bpf.LSH | Bpf.K, 8),
                Insn.stmt(Bpf.ALU | Bpf.OR | Bpf.K, 0x00050000),
                Insn.stmt(Bpf.RET | Bpf.RET_A, 0)));
        BpfVerifier.verify(p);
        BpfInterpreter.Result r = BpfInterpreter.run(p, new SeccompData(0, 0, 5));
        org.assertj.core.api.Assertions.assertThat(r.ret()).isEqualTo(0x00050000 | (14 % 4) << 8);
        org.assertj.core.api.Assertions.assertThat(r.executed()).isEqualTo(9);
        BpfProgram divX = new BpfProgram(List.of(Insn.stmt(Bpf.LDX | Bpf.IMM, 0),
                Insn.stmt(Bpf.ALU | Bpf.DIV | Bpf.X, 0), RET_ALLOW));
        org.assertj.core.api.Assertions.assertThat(BpfInterpreter.run(divX, new SeccompData(0, 0)).ret())
                .as("division by a zero X ends the program with 0").isZero();
    }
}
