package dev.cordon.internal.seccomp;

import dev.cordon.internal.syscalls.Arch;
import java.util.Comparator;
import java.util.List;

/** A rule names a syscall the architecture's table does not know; the message suggests the closest names. */
public class UnknownSyscallException extends IllegalArgumentException {
    private final String syscall;

    public UnknownSyscallException(String syscall, Arch arch) {
        super(message(syscall, arch));
        this.syscall = syscall;
    }

    public String syscall() {
        return syscall;
    }

    private static String message(String name, Arch arch) {
        List<String> close = closest(name, arch.names());
        return "unknown syscall \"" + name + "\" on " + arch
                + (close.isEmpty() ? "" : "; did you mean " + String.join(", ", close) + "?");
    }

    /** Up to three names within edit distance max(2, length/3), nearest first. */
    static List<String> closest(String name, List<String> known) {
        int limit = Math.max(2, name.length() / 3);
        record Scored(String name, int d) {}
        return known.stream()
                .map(k -> new Scored(k, distance(name, k)))
                .filter(s -> s.d() <= limit)
                .sorted(Comparator.comparingInt(Scored::d).thenComparing(Scored::name))
                .limit(3)
                .map(Scored::name)
                .toList();
    }

    /** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
