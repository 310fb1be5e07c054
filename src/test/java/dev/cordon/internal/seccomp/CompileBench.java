package dev.cordon.internal.seccomp;

import dev.cordon.internal.syscalls.Arch;

import java.util.Arrays;
import java.util.List;

/**
 * Compile-time benchmark (a main, not a test): a 300-rule policy compiled 1,000 times after warm-up, median
 * time; and BPF instructions executed per syscall (BpfInterpreter) for Cordon's program and libseccomp's on
 * the same rules. Run: {@code java -cp target/classes:target/test-classes --enable-native-access=ALL-UNNAMED
 * dev.cordon.internal.seccomp.CompileBench}. The figures are in README.md, "Syscall policies".
 */
public final class CompileBench {
    private CompileBench() {}

    static final int RUNS = 1000, WARMUP = 2000;

    /** 200 unconditional allows, then 50 syscalls with two conditional rules each (on different arguments), default EPERM. */
    static String policy(Arch arch) {
        List<String> names = arch.names();
        StringBuilder text = new StringBuilder("default errno EPERM\n");
        for (int i = 0; i < 200; i++) text.append("allow ").append(names.get(i)).append('\n');
        for (int i = 0; i < 50; i++) {
            String name = names.get(200 + i);
            text.append("allow ").append(name).append(" if arg0 == ").append(i).append('\n');
            text.append("errno EBADF ").append(name).append(" if arg1 > ").append(1000 + i).append('\n');
        }
        return text.toString();
    }

    public static void main(String[] args) {
        Arch arch = Arch.current();
        String text = policy(arch);
        SyscallPolicy policy = SyscallPolicyParser.parse(List.of(new SyscallPolicyParser.Source("bench", text)), arch);
        List<Rule> rules = policy.entries().stream().map(SyscallPolicy.Entry::rule).toList();
        FilterSpec spec = FilterSpec.of(policy.defaultAction(), rules);
        System.out.printf("policy: %d rules, %d syscalls in the table%n", rules.size(), arch.names().size());

        double parseAndCompile = median(() -> BpfCompiler.compile(FilterSpec.of(Action.errno(1),
                SyscallPolicyParser.parse(List.of(new SyscallPolicyParser.Source("bench", text)), arch).entries()
                        .stream().map(SyscallPolicy.Entry::rule).toList()), arch));
        double compile = median(() -> BpfCompiler.compile(spec, arch));
        BpfProgram cordon = BpfCompiler.compile(spec, arch);
        System.out.printf("Cordon: compile %.1f us median (parse + compile %.1f us), %d instructions%n",
                compile, parseAndCompile, cordon.size());

        BpfProgram libseccomp = null;
        try {
            double lib = median(() -> LibSeccomp.compile(spec, arch));
            if (LibSeccomp.compile(spec, arch) instanceof LibSeccomp.Program p) libseccomp = p.program();
            System.out.printf("libseccomp 2.5 (FFM, export through a memfd): %.1f us median, %d instructions%n", lib,
                    libseccomp == null ? -1 : libseccomp.size());
        } catch (Throwable t) {
            System.out.println("libseccomp: not available (" + t + ")");
        }

        count("Cordon", cordon, arch);
        if (libseccomp != null) count("libseccomp", libseccomp, arch);
    }

    /** Instructions executed per syscall: mean and max over every syscall of the table, args matching no rule and matching. */
    private static void count(String who, BpfProgram p, Arch arch) {
        long total = 0;
        int max = 0, n = 0;
        long[][] samples = {{0, 0, 0, 0, 0, 0}, {7, 5000, 0, 0, 0, 0}, {300, 1, 0, 0, 0, 0}};
        for (String name : arch.names()) {
            for (long[] a : samples) {
                int executed = BpfInterpreter.run(p, new SeccompData(arch.require(name), arch.auditArch, a)).executed();
                total += executed;
                max = Math.max(max, executed);
                n++;
            }
        }
        System.out.printf("%s: %.1f instructions executed per syscall on average, %d at most (%d calls)%n",
                who, (double) total / n, max, n);
    }

    private static double median(Runnable r) {
        for (int i = 0; i < WARMUP; i++) r.run();
        long[] t = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            r.run();
            t[i] = System.nanoTime() - start;
        }
        Arrays.sort(t);
        return t[RUNS / 2] / 1000.0;
    }
}
