package dev.cordon.internal.seccomp;

import java.util.List;

/**
 * {@code action} for {@code syscall} when all {@code conditions} hold (they are ANDed; none means
 * always). See {@link FilterSpec} for how several rules on one syscall combine.
 */
public record Rule(String syscall, Action action, List<Condition> conditions) {

    public Rule {
        if (syscall == null || syscall.isEmpty()) throw new IllegalArgumentException("syscall name is empty");
        if (action == null) throw new IllegalArgumentException("action is null for " + syscall);
        conditions = List.copyOf(conditions);
        if (conditions.size() > 6) {
            throw new IllegalArgumentException("at most 6 conditions per rule, " + syscall + " has " + conditions.size());
        }
    }

    public Rule(String syscall, Action action, Condition... conditions) {
        this(syscall, action, List.of(conditions));
    }

    /** Whether all conditions hold for these arguments. */
    public boolean matches(long[] args) {
        for (Condition c : conditions) if (!c.test(args)) return false;
        return true;
    }
}
