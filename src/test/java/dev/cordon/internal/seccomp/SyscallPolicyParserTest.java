package dev.cordon.internal.seccomp;

import dev.cordon.internal.syscalls.Arch;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The policy syntax: every construct, every error with its line and column, and the combining rule. */
class SyscallPolicyParserTest {
    private static final Arch X86 = Arch.X86_64;

    private static SyscallPolicy parse(String text) {
        return SyscallPolicyParser.parse(List.of(new SyscallPolicyParser.Source("policy", text)), X86);
    }

    private static List<Rule> rules(String text) {
        return parse(text).entries().stream().map(SyscallPolicy.Entry::rule).toList();
    }

    private static void fails(String text, String message) {
        assertThatThrownBy(() -> parse(text)).isInstanceOf(SyscallPolicyException.class).hasMessage(message);
    }

    @Test
    void actions() {
        assertThat(rules("allow read")).containsExactly(new Rule("read", Action.ALLOW));
        assertThat(rules("errno EBADF write")).containsExactly(new Rule("write", Action.errno(9)));
        assertThat(rules("errno 13 write")).containsExactly(new Rule("write", Action.errno(13)));
        assertThat(rules("kill ptrace")).containsExactly(new Rule("ptrace", Action.KILL_PROCESS));
        assertThat(rules("kill-process ptrace")).containsExactly(new Rule("ptrace", Action.KILL_PROCESS));
        assertThat(rules("kill-thread ptrace")).containsExactly(new Rule("ptrace", Action.KILL_THREAD));
        assertThat(rules("trap ptrace")).containsExactly(new Rule("ptrace", Action.TRAP));
        assertThat(rules("log ptrace")).containsExactly(new Rule("ptrace", Action.LOG));
    }

    @Test
    void defaults() {
        assertThat(parse("allow read").defaultAction()).isEqualTo(Action.ALLOW);
        assertThat(parse("default errno EPERM").defaultAction()).isEqualTo(Action.errno(1));
        assertThat(parse("default kill").defaultAction()).isEqualTo(Action.KILL_PROCESS);
        assertThat(parse("# comment\n\n  default trap   # why\n").defaultAction()).isEqualTo(Action.TRAP);
    }

    @Test
    void severalNamesAndConditions() {
        assertThat(rules("allow read, write,close")).containsExactly(new Rule("read", Action.ALLOW),
                new Rule("write", Action.ALLOW), new Rule("close", Action.ALLOW));
        assertThat(rules("allow write if arg0 == 1 and arg2 <= 512")).containsExactly(
                new Rule("write", Action.ALLOW, Condition.eq(0, 1), Condition.le(2, 512)));
        assertThat(rules("errno EBADF write if arg0 != 1")).containsExactly(
                new Rule("write", Action.errno(9), Condition.ne(0, 1)));
        assertThat(rules("allow x if arg0 < 1 and arg1 > 2 and arg2 >= 3 and arg3 <= 4 and arg4 == 5 and arg5 != 6"
                .replace("x", "mmap"))).containsExactly(new Rule("mmap", Action.ALLOW, Condition.lt(0, 1),
                Condition.gt(1, 2), Condition.ge(2, 3), Condition.le(3, 4), Condition.eq(4, 5), Condition.ne(5, 6)));
        assertThat(rules("allow socket if arg1 & 0xf == 1")).containsExactly(
                new Rule("socket", Action.ALLOW, Condition.maskedEq(1, 0xf, 1)));
    }

    @Test
    void numbers() {
        assertThat(rules("allow read if arg0 == 0x1F")).containsExactly(new Rule("read", Action.ALLOW, Condition.eq(0, 31)));
        assertThat(rules("allow read if arg0 == 017")).containsExactly(new Rule("read", Action.ALLOW, Condition.eq(0, 15)));
        assertThat(rules("allow read if arg0 == 0")).containsExactly(new Rule("read", Action.ALLOW, Condition.eq(0, 0)));
        assertThat(rules("allow read if arg0 == 0xffffffffffffffff"))
                .containsExactly(new Rule("read", Action.ALLOW, Condition.eq(0, -1)));
    }

    @Test
    void setsExpandAndExplicitRulesGovernTheirSyscall() {
        List<Rule> compute = rules("allow @compute");
        assertThat(compute).contains(new Rule("read", Action.ALLOW), new Rule("exit_group", Action.ALLOW),
                new Rule("clone", Action.ALLOW, Condition.maskedEq(0, 0x10000, 0x10000)));
        assertThat(compute).extracting(Rule::syscall).doesNotContain("execve", "fork", "vfork", "socket", "ptrace");
        // write is named explicitly: the set's unconditional "write" is dropped.
        List<Rule> seed = rules("allow @compute\nallow write if arg0 == 1 and arg2 <= 512");
        assertThat(seed.stream().filter(r -> r.syscall().equals("write")))
                .containsExactly(new Rule("write", Action.ALLOW, Condition.eq(0, 1), Condition.le(2, 512)));
        assertThat(rules("kill @default-deny")).contains(new Rule("ptrace", Action.KILL_PROCESS),
                new Rule("mount", Action.KILL_PROCESS));
        for (String set : SyscallSets.names()) assertThat(rules("allow " + set)).as(set).isNotEmpty();
        assertThat(rules("allow @network")).extracting(Rule::syscall).contains("socket", "connect", "accept4");
        assertThat(rules("allow @process")).extracting(Rule::syscall).contains("fork", "execve", "wait4");
        assertThat(rules("allow @file-io")).extracting(Rule::syscall).contains("openat", "rename", "unlink");
    }

    @Test
    void setsSkipNamesTheArchitectureLacks() {
        List<Rule> arm = SyscallPolicyParser.parse(List.of(new SyscallPolicyParser.Source("policy", "allow @compute")),
                Arch.AARCH64).entries().stream().map(SyscallPolicy.Entry::rule).toList();
        assertThat(arm).extracting(Rule::syscall).contains("openat").doesNotContain("arch_prctl", "open");
    }

    @Test
    void errorsPointAtLineAndColumn() {
        fails("allow read\nallow write if arg0 1", "policy:2:21: expected a comparison operator after \"arg0\"");
        fails("allow opnat", "policy:1:7: unknown syscall \"opnat\" on X86_64; did you mean openat, openat2?");
        fails("allow read,\n", "policy:1:12: expected a syscall name or @set after \",\"");
        fails("allow", "policy:1:6: expected a syscall name or @set after the action");
        fails("permit read", "policy:1:1: expected an action (allow, errno NAME, kill, kill-thread, trap or log), found \"permit\"");
        fails("errno EBDF read", "policy:1:7: unknown errno \"EBDF\"; did you mean EBADF, EADV, EBADE?");
        fails("errno 5000 read", "policy:1:7: errno 5000 is not in 1..4095");
        fails("errno", "policy:1:6: expected an errno name or number after \"errno\"");
        fails("trace ptrace", "policy:1:1: \"trace\" is not available in a policy: the sandbox's tracer and notification "
                + "listener belong to its supervisor; use allow, errno NAME, kill, kill-thread, trap or log");
        fails("notify ptrace", "policy:1:1: \"notify\" is not available in a policy: the sandbox's tracer and "
                + "notification listener belong to its supervisor; use allow, errno NAME, kill, kill-thread, trap or log");
        fails("allow read if arg6 == 1", "policy:1:15: a syscall has arguments arg0..arg5 only");
        fails("allow read if fd == 1", "policy:1:15: expected an argument arg0..arg5, found \"fd\"");
        fails("allow read if arg0 == ", "policy:1:22: expected a number after \"==\"");
        fails("allow read if arg0 = 1", "policy:1:20: \"=\" is not an operator; use == != < <= > >=");
        fails("allow read if arg0 == 0x", "policy:1:23: \"0x\" is not a number (decimal, 0x hex or 0 octal, at most 64 bits)");
        fails("allow read if arg0 == 09", "policy:1:23: \"09\" is not a number (decimal, 0x hex or 0 octal, at most 64 bits)");
        fails("allow read if arg0 & 3 != 1", "policy:1:24: a masked argument can only be compared with ==");
        fails("allow read if arg0 & == 1", "policy:1:22: expected a number after \"&\"");
        fails("allow read if arg0 == 1 or arg1 == 2", "policy:1:25: unexpected \"or\" at the end of the rule");
        fails("allow read arg0 == 1", "policy:1:12: expected \",\", \"if\" or the end of the line, found \"arg0\"");
        fails("allow read if arg0 == 1 and arg1 == 1 and arg2 == 1 and arg3 == 1 and arg4 == 1 and arg5 == 1 and arg0 == 2",
                "policy:1:99: at most 6 conditions per rule");
        fails("allow @comput", "policy:1:7: unknown syscall set \"@comput\"; the sets are @compute, @file-io, @process, "
                + "@network, @default-deny");
        fails("default kill\nallow read\ndefault allow", "policy:3:1: a second default; the default is already set at policy:1");
        fails("default kill read", "policy:1:14: unexpected \"read\" at the end of the rule");
        fails("allow read; allow write", "policy:1:11: unexpected character \";\"");
    }

    @Test
    void combinedEqualsStackingTheTwoFilters() {
        // Seed 001: write only to fd 1 and at most 512 bytes; EBADF for any other fd; everything else EPERM.
        SyscallPolicy p = parse("""
                default errno EPERM
                allow @compute
                allow write if arg0 == 1 and arg2 <= 512
                errno EBADF write if arg0 != 1
                """);
        FilterSpec user = new FilterSpec(p.defaultAction(), p.entries().stream().map(SyscallPolicy.Entry::rule).toList(),
                p.defaultAction(), Action.KILL_PROCESS);
        FilterSpec mandatory = SandboxFilter.build(false, false, false).kernelSpec();
        SandboxFilter merged = SandboxFilter.build(false, false, false, p);
        FilterSpec both = merged.kernelSpec();
        int write = X86.require("write");
        assertThat(user.evaluate(X86, write, args(1, 0, 100))).isEqualTo(Action.ALLOW);
        assertThat(user.evaluate(X86, write, args(2, 0, 100))).isEqualTo(Action.errno(9));
        assertThat(user.evaluate(X86, write, args(1, 0, 1000))).isEqualTo(Action.errno(1));
        java.util.Random random = new java.util.Random(1);
        long[][] samples = {args(1, 0, 512), args(1, 0, 513), args(2, 0, 1), args(0, 0, 0), args(0x10000, 0, 0),
                args(0x10011, 0, 0), args(0, 3, 0x41), args(0, 0x5401, 0), args(-1, -1, -1)};
        for (String name : X86.names()) {
            int nr = X86.require(name);
            // Calls the supervisor decides (execve, setsid, memfd_create) and the launch calls stay notified.
            if (SandboxFilter.LAUNCH.contains(name) || SandboxFilter.NOTIFIED.contains(name)
                    || name.equals("memfd_create") || SandboxFilter.EXEMPT.contains(name)) continue;
            for (int i = 0; i < samples.length + 4; i++) {
                long[] a = i < samples.length ? samples[i] : args(random.nextInt(4), random.nextInt(0x20000), random.nextInt(1024));
                Action m = mandatory.evaluate(X86, nr, a);
                Action u = user.evaluate(X86, nr, a);
                Action expected = u.severity() > m.severity() ? u : m;
                assertThat(both.evaluate(X86, nr, a)).as(name + " " + java.util.Arrays.toString(a)).isEqualTo(expected);
            }
        }
        // The seed's write rules through the supervisor's decision: the user's errno, with the rule cited.
        assertThat(merged.denial(write, args(2, 0, 10))).hasValueSatisfying(d -> {
            assertThat(d.errno()).isEqualTo(9);
            assertThat(d.reason()).isEqualTo("syscall policy line 4: errno EBADF write if arg0 != 1");
        });
        assertThat(merged.denial(write, args(1, 0, 1000))).hasValueSatisfying(d -> {
            assertThat(d.errno()).isEqualTo(1);
            assertThat(d.reason()).isEqualTo("syscall policy line 1: default errno EPERM (no rule of write allows this call)");
        });
        assertThat(merged.denial(write, args(1, 0, 10))).isEmpty();
        assertThat(merged.denial(write, args(2, 0, 10), false)).isEmpty();
    }

    @Test
    void userRulesNeverWeakenTheMandatoryFilter() {
        SandboxFilter f = SandboxFilter.build(false, true, false, parse("allow ptrace, socket, mount, clone"));
        assertThat(f.denial(X86.require("ptrace"), args(0, 0, 0))).hasValueSatisfying(d -> assertThat(d.errno()).isEqualTo(1));
        assertThat(f.denial(X86.require("socket"), args(2, 1, 0))).hasValueSatisfying(d -> assertThat(d.errno()).isEqualTo(13));
        assertThat(f.denial(X86.require("clone"), args(0x10000000L, 0, 0))).isPresent();
        // kill stays in the kernel program, where it is more restrictive than the mandatory EPERM.
        SandboxFilter k = SandboxFilter.build(false, true, false, parse("kill ptrace"));
        assertThat(k.kernelSpec().evaluate(X86, X86.require("ptrace"), args(0, 0, 0))).isEqualTo(Action.KILL_PROCESS);
    }

    @Test
    void conditionalAllowsUnderAStricterDefaultExpandToTheirComplement() {
        SyscallPolicy p = parse("default kill\nallow openat if arg2 & 0103 == 0\nallow ioctl if arg1 == 1\nallow ioctl if arg1 == 2");
        List<Rule> rest = p.combined(X86).stream().map(SyscallPolicy.Entry::rule)
                .filter(r -> r.action().equals(Action.KILL_PROCESS) && r.syscall().matches("openat|ioctl")).toList();
        assertThat(rest).containsExactlyInAnyOrder(
                new Rule("openat", Action.KILL_PROCESS, Condition.maskedEq(2, 1, 1)),
                new Rule("openat", Action.KILL_PROCESS, Condition.maskedEq(2, 2, 2)),
                new Rule("openat", Action.KILL_PROCESS, Condition.maskedEq(2, 0100, 0100)),
                new Rule("ioctl", Action.KILL_PROCESS, Condition.ne(1, 1), Condition.ne(1, 2)));
        StringBuilder many = new StringBuilder("default kill\n");
        for (int i = 0; i < 7; i++) many.append("allow ioctl if arg1 == ").append(i).append('\n');
        assertThatThrownBy(() -> parse(many.toString()).combined(X86)).hasMessageStartingWith("policy:8:1: more than 6 conditional rules of ioctl");
    }

    private static long[] args(long a0, long a1, long a2) {
        return new long[] {a0, a1, a2, 0, 0, 0};
    }
}
