package dev.cordon;

import dev.cordon.internal.seccomp.SyscallPolicyException;
import dev.cordon.internal.seccomp.SyscallPolicyParser;
import dev.cordon.internal.syscalls.Arch;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A syscall policy in Cordon's policy syntax (README, "Syscall policies"), as one or more named texts: a
 * file, rules given on the command line, or text given through the API. It can only add restrictions to
 * the sandbox's mandatory filter, never weaken it. An immutable value; it is checked when created, and a
 * mistake is reported as a {@link PolicyException} naming the text, line and column.
 *
 * @param sources the texts, in order; all together form one policy (one {@code default} at most)
 */
public record SyscallRules(List<Source> sources) {

    /** One named text of the policy: {@code name} is what errors and refusals cite (a file name, {@code --syscall}). */
    public record Source(String name, String text) {
        public Source {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(text, "text");
        }
    }

    /** No syscall policy: only the mandatory filter. */
    public static final SyscallRules NONE = new SyscallRules(List.of());

    /** The policy of {@code --compute-only}: the {@code @compute} set, everything else refused with EPERM. */
    public static final String COMPUTE_ONLY = "default errno EPERM\nallow @compute\n";

    public SyscallRules {
        sources = List.copyOf(sources);
        if (!sources.isEmpty()) {
            try {
                SyscallPolicyParser.parse(sources.stream()
                        .map(s -> new SyscallPolicyParser.Source(s.name(), s.text())).toList(), Arch.current());
            } catch (SyscallPolicyException e) {
                throw new PolicyException(e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new PolicyException("syscall policy: " + e.getMessage());
            }
        }
    }

    /** One text named {@code policy}. */
    public static SyscallRules of(String text) {
        return NONE.and("policy", text);
    }

    /** These rules and one more named text. */
    public SyscallRules and(String name, String text) {
        List<Source> all = new ArrayList<>(sources);
        all.add(new Source(name, text));
        return new SyscallRules(all);
    }

    public boolean isEmpty() {
        return sources.isEmpty();
    }
}
