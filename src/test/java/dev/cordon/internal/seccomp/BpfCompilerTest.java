package dev.cordon.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cordon.internal.syscalls.Arch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BpfCompilerTest {
    static final Arch X86 = Arch.X86_64;
    static final Action EPERM = Action.errno(1);
    static final Action ENOSYS = Action.errno(38);

    static int run(BpfProgram p, Arch arch, int nr, long... args) {
        return BpfInterpreter.run(p, new SeccompData(nr, arch.auditArch, args)).ret();
    }

    static int run(BpfProgram p, String syscall, long... args) {
        return run(p, X86, X86.require(syscall), args);
    }

    /** A filter where {@code cond} on ioctl gives ALLOW and anything else EPERM. */
    static BpfProgram only(Condition cond) {
        return BpfCompiler.compile(FilterSpec.of(EPERM, List.of(new Rule("ioctl", Action.ALLOW, cond))), X86);
    }

    static final long[] BOUNDARIES = {
        0, 1, 2, 0x7fffffffL, 0x80000000L, 0xfffffffeL, 0xffffffffL, 0x1_0000_0000L, 0x1_0000_0001L,
        0x1_ffff_ffffL, 0x2_0000_0000L, 0xffffffff_00000000L, 0x7fffffff_ffffffffL, 0x80000000_00000000L, -2L, -1L,
    };

    @ParameterizedTest
    @EnumSource(value = Op.class, names = "MASKED_EQ", mode = EnumSource.Mode.EXCLUDE)
    void everyComparisonIsUnsigned64BitOnBoundaries(Op op) {
        for (long value : BOUNDARIES) {
            BpfProgram p = only(new Condition(2, op, value, 0));
            for (long arg : BOUNDARIES) {
                for (long a : new long[] {arg, arg - 1, arg + 1, value - 1, value, value + 1, value ^ 1L << 32}) {
                    boolean expected = op.test(a, value, 0);
                    assertThat(run(p, "ioctl", 0, 0, a))
                            .as("arg2=0x%x %s 0x%x", a, op, value)
                            .isEqualTo(expected ? Action.ALLOW.ret() : EPERM.ret());
                }
            }
        }
    }

    @Test
    void highHalfIsCompared() {
        BpfProgram eq0 = only(Condition.eq(0, 0));
        assertThat(run(eq0, "ioctl", 0)).isEqualTo(Action.ALLOW.ret());
        assertThat(run(eq0, "ioctl", 0x1_0000_0000L)).isEqualTo(EPERM.ret());
        BpfProgram lt = only(Condition.lt(0, 0x1_0000_0000L));
        assertThat(run(lt, "ioctl", 0xffffffffL)).isEqualTo(Action.ALLOW.ret());
        assertThat(run(lt, "ioctl", 0x1_0000_0000L)).isEqualTo(EPERM.ret());
        BpfProgram gt = only(Condition.gt(0, 0xffffffffL));
        assertThat(run(gt, "ioctl", 0x1_0000_0000L)).isEqualTo(Action.ALLOW.ret());
        assertThat(run(gt, "ioctl", 0xffffffffL)).isEqualTo(EPERM.ret());
        // a value whose low half is larger must not win against a larger high half
        BpfProgram ge = only(Condition.ge(0, 0x1_0000_0005L));
        assertThat(run(ge, "ioctl", 0xffff_ffffL)).isEqualTo(EPERM.ret());
        assertThat(run(ge, "ioctl", 0x2_0000_0000L)).isEqualTo(Action.ALLOW.ret());
    }

    @Test
    void maskedEq() {
        BpfProgram p = only(Condition.maskedEq(1, 0xf, 1));
        assertThat(run(p, "ioctl", 0, 0x11)).isEqualTo(Action.ALLOW.ret());
        assertThat(run(p, "ioctl", 0, 0xffff_ffff_0000_0001L)).isEqualTo(Action.ALLOW.ret());
        assertThat(run(p, "ioctl", 0, 0x12)).isEqualTo(EPERM.ret());
        BpfProgram hi = only(Condition.maskedEq(1, 0xffffffff_00000000L, 0x1_0000_0000L));
        assertThat(run(hi, "ioctl", 0, 0x1_1234_5678L)).isEqualTo(Action.ALLOW.ret());
        assertThat(run(hi, "ioctl", 0, 0x2_0000_0000L)).isEqualTo(EPERM.ret());
        // bits of the value outside the mask are ignored, as in libseccomp
        BpfProgram outside = only(Condition.maskedEq(1, 0xff, 0x101));
        assertThat(run(outside, "ioctl", 0, 0x01)).isEqualTo(Action.ALLOW.ret());
    }

    @Test
    void conditionsOfARuleAreAnded() {
        BpfProgram p = only(Condition.eq(0, 3), Condition.maskedEq(1, 0xff, 0x10), Condition.lt(2, 100));
        assertThat(run(p, "ioctl", 3, 0x110, 99)).isEqualTo(Action.ALLOW.ret());
        assertThat(run(p, "ioctl", 4, 0x110, 99)).isEqualTo(EPERM.ret());
        assertThat(run(p, "ioctl", 3, 0x111, 99)).isEqualTo(EPERM.ret());
        assertThat(run(p, "ioctl", 3, 0x110, 100)).isEqualTo(EPERM.ret());
    }

    @Test
    void twoComparisonsOfOneArgumentMakeARange() {
        // libseccomp refuses this (-EINVAL); Cordon ANDs the comparisons
        BpfProgram p = only(Condition.ge(0, 4), Condition.lt(0, 8));
        assertThat(run(p, "ioctl", 3)).isEqualTo(EPERM.ret());
        assertThat(run(p, "ioctl", 4)).isEqualTo(Action.ALLOW.ret());
        assertThat(run(p, "ioctl", 7)).isEqualTo(Action.ALLOW.ret());
        assertThat(run(p, "ioctl", 8)).isEqualTo(EPERM.ret());
        assertThat(run(p, "ioctl", 0x1_0000_0005L)).isEqualTo(EPERM.ret());
    }

    static BpfProgram only(Condition... conds) {
        return BpfCompiler.compile(FilterSpec.of(EPERM, List.of(new Rule("ioctl", Action.ALLOW, conds))), X86);
    }

    @Test
    void mostRestrictiveMatchingRuleWinsWhateverTheOrder() {
        List<Rule> rules = List.of(
                new Rule("ioctl", Action.ALLOW, Condition.lt(0, 10)),
                new Rule("ioctl", Action.errno(13), Condition.lt(0, 5)),
                new Rule("ioctl", Action.KILL_PROCESS, Condition.eq(0, 1)),
                new Rule("ioctl", Action.LOG, Condition.eq(1, 7)));
        for (List<Rule> order : List.of(rules, rules.reversed())) {
            BpfProgram p = BpfCompiler.compile(FilterSpec.of(EPERM, order), X86);
            assertThat(run(p, "ioctl", 1)).isEqualTo(Action.KILL_PROCESS.ret());
            assertThat(run(p, "ioctl", 3)).isEqualTo(Action.errno(13).ret());
            assertThat(run(p, "ioctl", 7)).isEqualTo(Action.ALLOW.ret());
            assertThat(run(p, "ioctl", 7, 7)).as("ALLOW and LOG match: LOG is more restrictive").isEqualTo(Action.LOG.ret());
        }
    }

    @Test
    void unconditionalRuleOnlyOverridesLessRestrictiveConditionalRules() {
        List<Rule> rules = List.of(
                new Rule("ioctl", Action.ALLOW),
                new Rule("ioctl", Action.errno(13), Condition.eq(0, 5)),
                new Rule("ioctl", Action.LOG, Condition.eq(0, 6)));
        BpfProgram p = BpfCompiler.compile(FilterSpec.of(EPERM, rules), X86);
        assertThat(run(p, "ioctl", 5)).isEqualTo(Action.errno(13).ret());
        assertThat(run(p, "ioctl", 6)).isEqualTo(Action.LOG.ret());
        assertThat(run(p, "ioctl", 7)).isEqualTo(Action.ALLOW.ret());
        BpfProgram kill = BpfCompiler.compile(FilterSpec.of(EPERM, List.of(
                new Rule("ioctl", Action.KILL_PROCESS), new Rule("ioctl", Action.ALLOW, Condition.eq(0, 5)))), X86);
        assertThat(run(kill, "ioctl", 5)).isEqualTo(Action.KILL_PROCESS.ret());
        assertThat(kill.size()).as("dead conditional rule is not compiled").isLessThan(12);
    }

    @Test
    void unknownNumbersWrongArchX32AndDefault() {
        FilterSpec spec = new FilterSpec(EPERM, List.of(new Rule("read", Action.ALLOW)), ENOSYS, Action.KILL_PROCESS);
        BpfProgram p = BpfCompiler.compile(spec, X86);
        assertThat(run(p, "read")).isEqualTo(Action.ALLOW.ret());
        assertThat(run(p, "write")).isEqualTo(EPERM.ret());
        assertThat(run(p, X86, 335)).as("gap in the table").isEqualTo(ENOSYS.ret());
        assertThat(run(p, X86, X86.tableSize())).isEqualTo(ENOSYS.ret());
        assertThat(run(p, X86, 0x3fffffff)).isEqualTo(ENOSYS.ret());
        assertThat(run(p, X86, -1)).as("-1 is for tracers, not x32").isEqualTo(ENOSYS.ret());
        assertThat(run(p, X86, 0x40000000)).as("x32 read").isEqualTo(Action.KILL_PROCESS.ret());
        assertThat(run(p, X86, 0x40000000 | 1)).isEqualTo(Action.KILL_PROCESS.ret());
        assertThat(run(p, X86, 0x80000000)).isEqualTo(Action.KILL_PROCESS.ret());
        assertThat(run(p, X86, -2)).isEqualTo(Action.KILL_PROCESS.ret());
        assertThat(BpfInterpreter.run(p, new SeccompData(0, Arch.AARCH64.auditArch)).ret())
                .isEqualTo(Action.KILL_PROCESS.ret());
        assertThat(BpfInterpreter.run(p, new SeccompData(0, 0x40000003)).ret()).isEqualTo(Action.KILL_PROCESS.ret());
    }

    @Test
    void aarch64HasNoX32Check() {
        FilterSpec spec = new FilterSpec(EPERM, List.of(new Rule("openat", Action.ALLOW)), ENOSYS, Action.KILL_PROCESS);
        BpfProgram p = BpfCompiler.compile(spec, Arch.AARCH64);
        assertThat(run(p, Arch.AARCH64, Arch.AARCH64.require("openat"))).isEqualTo(Action.ALLOW.ret());
        assertThat(run(p, Arch.AARCH64, 0x40000000)).isEqualTo(ENOSYS.ret());
        assertThat(BpfInterpreter.run(p, new SeccompData(56, X86.auditArch)).ret()).isEqualTo(Action.KILL_PROCESS.ret());
        assertThat(p.toString()).doesNotContain("0x40000000");
    }

    @Test
    void filterWithoutRulesIsMinimal() {
        BpfProgram p = BpfCompiler.compile(FilterSpec.of(Action.ALLOW, List.of()), X86);
        assertThat(p.toString()).isEqualTo("""
                   0: ld [4]
                   1: jeq #0xc000003e, 2, 5
                   2: ld [0]
                   3: jge #0x40000000, 4, 6
                   4: jeq #0xffffffff, 6, 5
                   5: ret #0x80000000
                   6: ret #0x7fff0000
                """.replace("\n", System.lineSeparator()));
    }

    @Test
    void aarch64FilterWithoutRules() {
        FilterSpec spec = new FilterSpec(Action.ALLOW, List.of(), Action.ALLOW, Action.KILL_PROCESS);
        BpfProgram p = BpfCompiler.compile(spec, Arch.AARCH64);
        assertThat(run(p, Arch.AARCH64, 63)).isEqualTo(Action.ALLOW.ret());
        assertThat(BpfInterpreter.run(p, new SeccompData(63, X86.auditArch)).ret()).isEqualTo(Action.KILL_PROCESS.ret());
    }

    @Test
    void randomFiltersMatchTheReferenceOnBothArches() {
        Random rnd = new Random(11);
        Action[] actions = {Action.KILL_PROCESS, Action.TRAP, EPERM, ENOSYS, Action.LOG, Action.ALLOW, Action.USER_NOTIF};
        for (Arch arch : Arch.values()) {
            List<String> names = arch.names();
            for (int n = 0; n < 300; n++) {
                List<Rule> rules = new ArrayList<>();
                for (int i = rnd.nextInt(30); i > 0; i--) {
                    List<Condition> cs = new ArrayList<>();
                    for (int j = rnd.nextInt(4); j > 0; j--) {
                        Op op = Op.values()[rnd.nextInt(7)];
                        long v = rnd.nextBoolean() ? rnd.nextInt(8) : BOUNDARIES[rnd.nextInt(BOUNDARIES.length)];
                        cs.add(op == Op.MASKED_EQ ? Condition.maskedEq(rnd.nextInt(6), rnd.nextLong(), v)
                                : new Condition(rnd.nextInt(6), op, v, 0));
                    }
                    rules.add(new Rule(names.get(rnd.nextInt(names.size())), actions[rnd.nextInt(actions.length)], cs));
                }
                FilterSpec spec = new FilterSpec(actions[rnd.nextInt(actions.length)], rules,
                        actions[rnd.nextInt(actions.length)], actions[rnd.nextInt(actions.length)]);
                BpfProgram p = BpfCompiler.compile(spec, arch);
                for (int k = 0; k < 300; k++) {
                    int nr = k % 10 == 0 ? rnd.nextInt() : rnd.nextInt(arch.tableSize() + 3);
                    long[] args = new long[6];
                    for (int a = 0; a < 6; a++) args[a] = rnd.nextBoolean() ? rnd.nextInt(9) : BOUNDARIES[rnd.nextInt(BOUNDARIES.length)];
                    assertThat(BpfInterpreter.run(p, new SeccompData(nr, arch.auditArch, 0, args)).ret())
                            .as("%s nr=%d", arch, nr).isEqualTo(spec.evaluate(arch, nr, args).ret());
                }
            }
        }
    }

    @Test
    void unknownSyscallNameSuggestsClosest() {
        FilterSpec spec = FilterSpec.of(EPERM, List.of(new Rule("opnat", Action.ALLOW)));
        assertThatThrownBy(() -> BpfCompiler.compile(spec, X86))
                .isInstanceOf(UnknownSyscallException.class)
                .hasMessageStartingWith("unknown syscall \"opnat\" on X86_64; did you mean openat")
                .hasMessageContaining("open");
        assertThatThrownBy(() -> BpfCompiler.compile(FilterSpec.of(EPERM, List.of(new Rule("zzzzzzzzzzzz", Action.ALLOW))), X86))
                .hasMessage("unknown syscall \"zzzzzzzzzzzz\" on X86_64");
    }

    @Test
    void validation() {
        assertThatThrownBy(() -> Condition.eq(6, 0)).hasMessageContaining("0..5");
        assertThatThrownBy(() -> Condition.eq(-1, 0)).hasMessageContaining("0..5");
        List<Condition> seven = new ArrayList<>();
        for (int i = 0; i < 7; i++) seven.add(Condition.eq(i % 6, i));
        assertThatThrownBy(() -> new Rule("read", Action.ALLOW, seven)).hasMessageContaining("at most 6");
        assertThatThrownBy(() -> Action.errno(70000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void actionValues() {
        assertThat(Action.KILL_PROCESS.ret()).isEqualTo(0x80000000);
        assertThat(Action.KILL_THREAD.ret()).isEqualTo(0);
        assertThat(Action.trap(3).ret()).isEqualTo(0x00030003);
        assertThat(Action.errno(13).ret()).isEqualTo(0x0005000d);
        assertThat(Action.USER_NOTIF.ret()).isEqualTo(0x7fc00000);
        assertThat(Action.trace(0x1234).ret()).isEqualTo(0x7ff01234);
        assertThat(Action.LOG.ret()).isEqualTo(0x7ffc0000);
        assertThat(Action.ALLOW.ret()).isEqualTo(0x7fff0000);
    }

    @Test
    void programSerialisesAsSockFilter() {
        BpfProgram p = new BpfProgram(List.of(Insn.jump(Bpf.JMP | Bpf.JEQ | Bpf.K, 0xc000003e, 1, 2),
                Insn.stmt(Bpf.RET | Bpf.K, 0x7fff0000)));
        assertThat(p.toBytes()).containsExactly(
                0x15, 0x00, 1, 2, 0x3e, 0x00, 0x00, 0xc0,
                0x06, 0x00, 0, 0, 0x00, 0x00, 0xff, 0x7f);
        assertThat(BpfProgram.fromBytes(p.toBytes())).isEqualTo(p);
        assertThat(p.toString()).contains("jeq #0xc000003e, 2, 3").contains("ret #0x7fff0000");
    }

    @Test
    void tooManyInstructionsIsAClearError() {
        List<Rule> rules = new ArrayList<>();
        for (String name : X86.names()) {
            for (int i = 0; i < 2; i++) {
                rules.add(new Rule(name, Action.ALLOW, Condition.eq(0, i), Condition.eq(1, i)));
            }
        }
        assertThatThrownBy(() -> BpfCompiler.compile(FilterSpec.of(EPERM, rules), X86))
                .isInstanceOf(BpfException.class)
                .hasMessageContaining("kernel limit of 4096");
    }

    @Test
    void longJumpsAreInsertedAndCorrect() {
        // Many conditional syscalls: the binary search must jump over blocks far more than 255 instructions.
        Random rnd = new Random(7);
        List<Rule> rules = new ArrayList<>();
        List<String> names = X86.names();
        for (int i = 0; i < names.size(); i += 2) {
            Op op = Op.values()[rnd.nextInt(6)];
            rules.add(new Rule(names.get(i), Action.ALLOW, new Condition(rnd.nextInt(6), op, rnd.nextLong() >>> rnd.nextInt(64), 0)));
            if (i % 6 == 0) rules.add(new Rule(names.get(i), Action.errno(13), Condition.maskedEq(1, 0xff, i & 0xff)));
        }
        FilterSpec spec = new FilterSpec(EPERM, rules, ENOSYS, Action.KILL_PROCESS);
        BpfProgram p = BpfCompiler.compile(spec, X86);
        BpfVerifier.verify(p);
        long longJumps = p.insns().stream().filter(i -> i.code() == (Bpf.JMP | Bpf.JA)).count();
        System.out.printf("long-jump filter: %d instructions, %d JA trampolines%n", p.size(), longJumps);
        assertThat(p.size()).isGreaterThan(1000);
        assertThat(longJumps).isPositive();
        for (int n = 0; n < 20000; n++) {
            int nr = rnd.nextInt(X86.tableSize() + 5);
            long[] args = new long[6];
            for (int a = 0; a < 6; a++) args[a] = rnd.nextBoolean() ? rnd.nextLong() : rnd.nextInt(300);
            assertThat(BpfInterpreter.run(p, new SeccompData(nr, X86.auditArch, 0, args)).ret())
                    .isEqualTo(spec.evaluate(X86, nr, args).ret());
        }
    }

    static final List<String> HOT = List.of("read", "write", "openat", "close", "futex", "mmap", "epoll_wait");

    /**
     * 300 syscalls: the hot ones plus others in table order, skipping every sixth so the ranges are
     * realistic (not one contiguous block).
     */
    static FilterSpec allowList300() {
        List<String> all = new ArrayList<>();
        for (int nr = 0; nr < X86.tableSize(); nr++) if (X86.name(nr) != null) all.add(X86.name(nr));
        List<String> chosen = new ArrayList<>(HOT);
        for (int i = 0; i < all.size() && chosen.size() < 300; i++) {
            if (i % 6 != 5 && !chosen.contains(all.get(i))) chosen.add(all.get(i));
        }
        assertThat(chosen).hasSize(300);
        return FilterSpec.of(Action.KILL_PROCESS, chosen.stream().map(n -> new Rule(n, Action.ALLOW)).toList());
    }

    @Test
    void commonSyscallIsFastUnderAnAllowList() {
        FilterSpec spec = allowList300();
        BpfProgram p = BpfCompiler.compile(spec, X86);
        int worst = 0;
        for (int nr = 0; nr < X86.tableSize(); nr++) {
            worst = Math.max(worst, BpfInterpreter.run(p, new SeccompData(nr, X86.auditArch)).executed());
        }
        System.out.printf("300-syscall allow-list: %d instructions, worst case %d executed%n", p.size(), worst);
        assertThat(p.insns().stream().filter(i -> Bpf.cls(i.code()) == Bpf.RET).count())
                .as("RET instructions are shared").isEqualTo(2);
        for (String s : HOT) {
            BpfInterpreter.Result r = BpfInterpreter.run(p, new SeccompData(X86.require(s), X86.auditArch));
            System.out.printf("  %-12s -> 0x%08x after %d instructions%n", s, r.ret(), r.executed());
            if (s.equals("read")) assertThat(r.executed()).isLessThan(16);
        }
        assertThat(worst).isLessThan(20);
    }
}
