package dev.cordon.internal.seccomp;

import dev.cordon.internal.syscalls.Arch;
import java.util.List;

/**
 * A whole filter, independent of the architecture.
 *
 * <ul>
 *   <li>{@code defaultAction}: for syscalls of the architecture's table that no rule matches;</li>
 *   <li>{@code unknownSyscallAction}: for numbers the table does not know (typically ERRNO(ENOSYS) so libc
 *       falls back to an older call, or the default action for a strict allow-list);</li>
 *   <li>{@code badArchAction}: for a foreign {@code seccomp_data.arch} and, on x86_64, for x32 numbers
 *       (unsigned {@code nr >= 0x40000000}, which also catches the invalid numbers above, except {@code nr == -1}, which tracers use to skip a call and which is
 *       treated as an unknown number, as libseccomp does).</li>
 * </ul>
 *
 * <h2>Several rules on one syscall</h2>
 * Rules are an unordered set: when more than one rule of a syscall matches a call, the <em>most
 * restrictive</em> action wins ({@link Action#severity()}, the order the kernel applies across stacked
 * filters: KILL_PROCESS &gt; KILL_THREAD &gt; TRAP &gt; ERRNO &gt; USER_NOTIF &gt; TRACE &gt; LOG &gt; ALLOW;
 * between two ERRNO or TRACE values of different data, the first rule listed wins). An unconditional rule
 * therefore only overrides the conditional rules that are less restrictive than itself.
 * <p>
 * This is a deliberate divergence from libseccomp 2.5, whose result for a call matched by several rules
 * with different actions depends on its internal rule tree (an unconditional rule replaces all conditional
 * rules of the syscall; otherwise comparisons are nested by argument). Where only one rule matches, or all
 * matching rules agree, Cordon and libseccomp give the same result (checked by the differential test).
 * <p>Rule sets libseccomp 2.5.4 refuses and Cordon accepts: a rule whose action equals the default
 * action (libseccomp: -EACCES; for Cordon it matters when it is more restrictive than another matching
 * rule), two comparisons of the same argument in one rule (-EINVAL; Cordon ANDs them, so
 * {@code arg0 >= 4 && arg0 < 8} is a range), and rules that conflict with earlier ones (-EEXIST; Cordon
 * applies the most-restrictive rule).
 * <p>Other divergences found by the differential test are libseccomp 2.5.4 defects: with two rules of a
 * syscall comparing the same argument, its program may compare a constant with a stale accumulator word
 * and return an action no rule selects (see LibSeccompBugTest); and some rule sets make
 * seccomp_rule_add loop forever. {@link Op#MASKED_EQ} follows libseccomp in masking the value.
 */
public record FilterSpec(Action defaultAction, List<Rule> rules, Action unknownSyscallAction, Action badArchAction) {

    public FilterSpec {
        if (defaultAction == null || unknownSyscallAction == null || badArchAction == null) {
            throw new IllegalArgumentException("actions must not be null");
        }
        rules = List.copyOf(rules);
    }

    /** A filter with the default action also for unknown numbers, and KILL_PROCESS on a bad arch. */
    public static FilterSpec of(Action defaultAction, List<Rule> rules) {
        return new FilterSpec(defaultAction, rules, defaultAction, Action.KILL_PROCESS);
    }

    /**
     * Reference semantics: what the filter returns for {@code nr} with {@code args} on {@code arch}
     * (ignoring the arch check). The compiled program must agree with this on every input.
     */
    public Action evaluate(Arch arch, int nr, long[] args) {
        if (arch.x32Bit != 0 && Integer.compareUnsigned(nr, arch.x32Bit) >= 0 && nr != -1) return badArchAction;
        String name = arch.name(nr);
        if (name == null) return unknownSyscallAction;
        Action best = null;
        for (Rule r : rules) {
            if (r.syscall().equals(name) && r.matches(args)
                    && (best == null || r.action().severity() > best.severity())) {
                best = r.action();
            }
        }
        return best == null ? defaultAction : best;
    }
}
