package dev.cordon.internal.seccomp;

import dev.cordon.internal.syscalls.Arch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A user's syscall policy, parsed ({@link SyscallPolicyParser}): rules and a default action, as a filter
 * of its own would apply them (the most restrictive matching rule wins; the default when none matches).
 *
 * <h2>Combining with the mandatory filter</h2>
 * The user's policy may only add restrictions. The sandbox runs ONE program whose result is, for every call,
 * the more restrictive of the mandatory filter's result and the user policy's result, which is what stacking
 * two filters would give. {@link #combined} expresses the user policy as rules that, added to the mandatory
 * rules under "most restrictive wins", have exactly that effect: the user's rules, then for every syscall of
 * the table a <em>remainder</em>: the default action for the calls none of the user's less restrictive rules
 * of that syscall match (an unconditional rule when the policy does not name the syscall at all).
 */
public final class SyscallPolicy {
    /** One rule and where it came from: {@code origin} is the text a refusal is reported with. */
    public record Entry(Rule rule, String source, int line, String origin) {}

    /** The most terms a remainder may expand to; beyond, the policy is refused as too complex to combine. */
    static final int MAX_TERMS = 64;

    private final Action defaultAction;
    private final String defaultOrigin;
    private final List<Entry> entries;

    SyscallPolicy(Action defaultAction, String defaultOrigin, List<Entry> entries) {
        this.defaultAction = defaultAction;
        this.defaultOrigin = defaultOrigin;
        this.entries = List.copyOf(entries);
    }

    public Action defaultAction() {
        return defaultAction;
    }

    /** The action in the policy syntax: {@code allow}, {@code errno EPERM}, {@code kill}, ... */
    public static String describe(Action a) {
        return switch (a) {
            case Action.Allow _ -> "allow";
            case Action.Log _ -> "log";
            case Action.KillProcess _ -> "kill";
            case Action.KillThread _ -> "kill-thread";
            case Action.Trap _ -> "trap";
            case Action.Errno e -> "errno " + dev.cordon.internal.sys.Errno.name(e.errno());
            case Action.Trace _ -> "trace";
            case Action.UserNotif _ -> "notify";
        };
    }

    /** The rules as written (sets expanded, entries of a set dropped for syscalls the policy names explicitly). */
    public List<Entry> entries() {
        return entries;
    }

    /** The rules that, added after the mandatory rules, make one filter equal to the two stacked: see the class comment. */
    public List<Entry> combined(Arch arch) {
        List<Entry> out = new ArrayList<>(entries);
        if (defaultAction instanceof Action.Allow) return out;
        Map<String, List<Entry>> bySyscall = new LinkedHashMap<>();
        for (Entry e : entries) bySyscall.computeIfAbsent(e.rule().syscall(), k -> new ArrayList<>()).add(e);
        for (String name : arch.names()) {
            List<Entry> es = bySyscall.get(name);
            if (es == null) {
                out.add(new Entry(new Rule(name, defaultAction), null, 0, defaultOrigin + " (" + name + " is not allowed)"));
                continue;
            }
            List<Entry> lower = es.stream().filter(e -> e.rule().action().severity() < defaultAction.severity()).toList();
            if (lower.stream().anyMatch(e -> e.rule().conditions().isEmpty())) continue;
            List<List<Condition>> terms = new ArrayList<>();
            terms.add(List.of());
            for (Entry e : lower) {
                List<Condition> alternatives = new ArrayList<>();
                for (Condition c : e.rule().conditions()) alternatives.addAll(negate(c));
                List<List<Condition>> next = new ArrayList<>();
                for (List<Condition> t : terms) {
                    for (Condition alt : alternatives) {
                        Set<Condition> term = new LinkedHashSet<>(t);
                        term.add(alt);
                        if (!contradictory(term)) next.add(List.copyOf(term));
                    }
                }
                if (next.size() > MAX_TERMS) {
                    throw new SyscallPolicyException(e.source(), e.line(), 1, "the conditions of the rules of " + name
                            + " are too complex to combine with the default \"" + defaultText() + "\" (more than "
                            + MAX_TERMS + " alternatives); use fewer conditions or masks with fewer bits");
                }
                terms = next;
            }
            for (List<Condition> t : terms) {
                if (t.size() > 6) {
                    Entry e = lower.get(6);
                    throw new SyscallPolicyException(e.source(), e.line(), 1, "more than 6 conditional rules of " + name
                            + " are less restrictive than the default \"" + defaultText() + "\": the calls none of "
                            + "them matches cannot be expressed in one rule; merge some of them");
                }
                out.add(new Entry(new Rule(name, defaultAction, t), null, 0,
                        defaultOrigin + " (no rule of " + name + " allows this call)"));
            }
        }
        return out;
    }

    private String defaultText() {
        int colon = defaultOrigin.indexOf(": ");
        return colon < 0 ? defaultOrigin : defaultOrigin.substring(colon + 2);
    }

    /** Conditions one of which holds exactly when {@code c} does not. */
    static List<Condition> negate(Condition c) {
        return switch (c.op()) {
            case EQ -> List.of(Condition.ne(c.arg(), c.value()));
            case NE -> List.of(Condition.eq(c.arg(), c.value()));
            case LT -> List.of(Condition.ge(c.arg(), c.value()));
            case LE -> List.of(Condition.gt(c.arg(), c.value()));
            case GT -> List.of(Condition.le(c.arg(), c.value()));
            case GE -> List.of(Condition.lt(c.arg(), c.value()));
            case MASKED_EQ -> {
                // (a & m) != (v & m): some bit of the mask differs.
                List<Condition> bits = new ArrayList<>();
                long m = c.mask();
                while (m != 0) {
                    long bit = Long.lowestOneBit(m);
                    bits.add(Condition.maskedEq(c.arg(), bit, ~c.value() & bit));
                    m &= ~bit;
                }
                yield bits;
            }
        };
    }

    /** Whether two conditions of the term can never hold together (x == a and x != a, x == a and x == b). */
    private static boolean contradictory(Set<Condition> term) {
        for (Condition a : term) {
            for (Condition b : term) {
                if (a.arg() != b.arg() || a == b) continue;
                if (a.op() == Op.EQ && b.op() == Op.NE && a.value() == b.value()) return true;
                if (a.op() == Op.EQ && b.op() == Op.EQ && a.value() != b.value()) return true;
                if (a.op() == Op.MASKED_EQ && b.op() == Op.MASKED_EQ && a.mask() == b.mask()
                        && (a.value() & a.mask()) != (b.value() & b.mask())) return true;
            }
        }
        return false;
    }
}
