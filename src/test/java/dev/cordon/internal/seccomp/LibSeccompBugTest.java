package dev.cordon.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cordon.internal.syscalls.Arch;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Pins the libseccomp 2.5.4 defect the differential test excuses: with two rules on one syscall that
 * compare the same argument, libseccomp's program compares a constant with a word left in the
 * accumulator by another test (it does not reload), and returns an action no rule selects. Cordon
 * returns the reference result. If libseccomp is fixed, this test fails and the excuse can go.
 */
@EnabledIf("dev.cordon.internal.seccomp.DifferentialTest#available")
class LibSeccompBugTest {
    static final Arch X86 = Arch.X86_64;

    static void check(FilterSpec spec, String syscall, long... args) {
        SeccompData in = new SeccompData(X86.require(syscall), X86.auditArch, args);
        int reference = spec.evaluate(X86, in.nr(), in.args()).ret();
        BpfProgram lib = ((LibSeccomp.Program) LibSeccomp.compile(spec, X86)).program();
        assertThat(BpfInterpreter.run(BpfCompiler.compile(spec, X86), in).ret()).isEqualTo(reference);
        assertThat(BpfInterpreter.run(lib, in).ret()).as("libseccomp 2.5.4 still wrong").isNotEqualTo(reference);
    }

    @Test
    void rangeComparisonAfterLowWordTest() {
        // arg0 = 11: only "arg0 < 0x1_0000_0001" holds, so TRACE; libseccomp tests "jgt 1" on the low word.
        FilterSpec spec = FilterSpec.of(Action.TRAP, List.of(
                new Rule("sched_setparam", Action.trace(7), Condition.lt(0, 0x1_0000_0001L)),
                new Rule("sched_setparam", Action.LOG, Condition.lt(0, 10))));
        check(spec, "sched_setparam", 11);
    }

    @Test
    void equalityAfterAnotherArgumentsHighWord() {
        // No rule matches; libseccomp compares arg0's low word with 2 while A holds arg2's masked high word (2).
        FilterSpec spec = FilterSpec.of(Action.TRAP, List.of(
                new Rule("io_uring_setup", Action.ALLOW,
                        Condition.maskedEq(2, 0x71b331ef79156f11L, 0x7fffffffL), Condition.ne(0, 0xc)),
                new Rule("io_uring_setup", Action.errno(38), Condition.eq(0, 2), Condition.ne(1, 0x80000000_00000000L))));
        check(spec, "io_uring_setup", 0, 0x1_0000_0000L, 0x2_0000_0001L);
    }
}
