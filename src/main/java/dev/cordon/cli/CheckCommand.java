package dev.cordon.cli;

import dev.cordon.Access;
import dev.cordon.Limits;
import dev.cordon.PathRule;
import dev.cordon.Policy;
import dev.cordon.PolicyException;
import dev.cordon.internal.landlock.LandlockRuleset;
import dev.cordon.internal.limits.cgroup.CgroupDriver;
import dev.cordon.internal.limits.cgroup.CgroupSupport;
import dev.cordon.internal.limits.cgroup.Cgroups;
import dev.cordon.internal.policy.PolicyFiles;
import dev.cordon.internal.policy.PolicySpec;
import dev.cordon.internal.sys.Sys;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** {@code cordon check POLICY...}: validates policy files and says what they allow and what this kernel enforces. */
final class CheckCommand {
    /** Valid, but this machine cannot enforce all of it and the policy does not ask for best effort. */
    static final int EXIT_NOT_ENFORCEABLE = 1;

    private final CommandSpec spec = CommandSpec.create().name("check");

    CheckCommand() {
        spec.mixinStandardHelpOptions(true);
        spec.usageMessage()
                .description("Checks policy files: every value is validated, then what the policy allows is printed "
                        + "in plain words, with what the running kernel can and cannot enforce of it. Several files "
                        + "combine as with 'cordon run --policy'; profile:NAME names a shipped profile.")
                .footerHeading("%nExit status:%n")
                .footer("  0  valid, and this machine enforces all of it (or it asks for best_effort)",
                        "  1  valid, but this machine cannot enforce all of it: 'cordon run' would refuse it "
                                + "without --best-effort",
                        "  2  invalid (the message names the file, the line and the key)");
        spec.addPositional(PositionalParamSpec.builder().paramLabel("POLICY").arity("1..*").type(List.class)
                .auxiliaryTypes(String.class).description("A policy file, or profile:NAME.").build());
    }

    CommandSpec spec() {
        return spec;
    }

    int execute(ParseResult r, PrintWriter out, PrintWriter err) {
        List<String> files = r.matchedPositionalValue(0, List.of());
        PolicySpec spec;
        Policy policy;
        try {
            spec = PolicyFiles.load(List.of(), files);
            policy = spec.toPolicy();
        } catch (PolicyException e) {
            err.println("cordon: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        out.println(String.join(", ", files) + ": valid" + (spec.sources().size() > files.size()
                ? " (read " + String.join(", ", spec.sources()) + ")" : ""));
        out.println("It allows:");
        for (Access a : List.of(Access.READ, Access.WRITE, Access.EXECUTE)) {
            out.printf("  %-14s %s%n", label(a) + ":", paths(policy, a, "nothing"));
        }
        List<PathRule> denied = policy.paths().stream().filter(p -> p.access() == Access.DENY).toList();
        if (!denied.isEmpty()) out.printf("  %-14s %s%n", "denied:", paths(policy, Access.DENY, ""));
        out.printf("  %-14s %s%n", "network:", network(policy));
        out.printf("  %-14s %s%n", "environment:", policy.environment().isEmpty() ? "no variables"
                : String.join(", ", policy.environment().keySet().stream().sorted().toList()) + " (values not shown)");
        out.printf("  %-14s %s%n", "directory:", policy.workingDirectory() == null ? "the caller's working directory"
                : policy.workingDirectory().toString());
        out.printf("  %-14s %s%n", "limits:", limits(policy.limits()));
        out.printf("  %-14s audit %s; namespaces %s; best effort %s%n", "supervisor:",
                policy.audit().name().toLowerCase(Locale.ROOT), policy.namespaces() ? "yes" : "no",
                policy.bestEffort() ? "yes" : "no");

        out.println("This machine:");
        List<String> missing = new ArrayList<>();
        int abi = LandlockRuleset.abi();
        if (abi == 0) {
            missing.add("file and TCP rules: Landlock is not available in this kernel");
        } else {
            out.println("  enforced     file rules: Landlock ABI " + abi);
            if (abi < 2) missing.add("rename/link between directories (needs Landlock ABI 2, Linux 5.19)");
            if (abi < 3) missing.add("truncation (needs Landlock ABI 3, Linux 6.2)");
            if (abi < 4) missing.add("TCP port rules and the TCP deny-all (needs Landlock ABI 4, Linux 6.7)");
            else out.println("  enforced     network: " + (policy.network() ? "TCP port rules" : "no network")
                    + " (Landlock ABI 4+ and the seccomp filter)");
            if (abi < 5) missing.add("ioctl on devices (needs Landlock ABI 5, Linux 6.10)");
            if (abi < 6) missing.add("scoping of abstract unix sockets and signals (needs Landlock ABI 6, Linux 6.12)");
        }
        Limits l = policy.limits();
        CgroupSupport cg = Cgroups.detect();
        boolean cgroupLimits = l.memoryBytes() > 0 || l.processes() > 0 || l.cpuTime() != null;
        if (cg instanceof CgroupDriver d) {
            if (cgroupLimits) out.println("  enforced     memory, CPU time and process limits for the whole sandbox: "
                    + d.describe());
        } else {
            String reason = ((CgroupSupport.Unavailable) cg).reason();
            if (l.memoryBytes() > 0) out.println("  weaker       memory limit: per process (RLIMIT_DATA), not for the "
                    + "whole sandbox: no cgroup (" + reason + ")");
            if (l.cpuTime() != null) out.println("  weaker       CPU time limit: per process (RLIMIT_CPU): no cgroup");
            if (l.processes() > 0) missing.add("the process limit: it needs a cgroup (" + reason + ")");
        }
        if (l.wallTime() != null || l.outputBytes() > 0 || l.fileSize() > 0 || l.openFiles() > 0 || l.stack() > 0) {
            out.println("  enforced     wall time, output and rlimits: by Cordon and the kernel, everywhere");
        }
        if (policy.namespaces()) {
            if (Sys.geteuid() == 0) out.println("  enforced     namespaces: pid, IPC, UTS" + (policy.network() ? "" : ", network"));
            else missing.add("namespaces: they need root");
        }
        for (String m : missing) out.println("  NOT enforced " + m);
        if (missing.isEmpty()) {
            out.println("Enforceable here: 'cordon run' enforces all of it.");
            return 0;
        }
        if (policy.bestEffort()) {
            out.println("Not fully enforceable here: it runs only because best_effort is set, without what is listed "
                    + "as NOT enforced.");
            return 0;
        }
        out.println("Not enforceable here: 'cordon run' refuses it unless --best-effort (or best_effort = true) is "
                + "given, and then runs without what is listed as NOT enforced.");
        return EXIT_NOT_ENFORCEABLE;
    }

    private static String label(Access a) {
        return switch (a) {
            case READ -> "read";
            case WRITE -> "read+write";
            case EXECUTE -> "read+execute";
            case DENY -> "denied";
        };
    }

    private static String paths(Policy p, Access a, String none) {
        String s = p.paths().stream().filter(r -> r.access() == a).map(r -> r.path().toString()).distinct()
                .collect(Collectors.joining(", "));
        return s.isEmpty() ? none : s;
    }

    private static String network(Policy p) {
        if (!p.network()) return "none (no socket of any family, except socketpair)";
        List<String> parts = new ArrayList<>();
        if (!p.tcpConnect().isEmpty()) parts.add("TCP connect to port " + ports(p.tcpConnect()));
        if (!p.tcpBind().isEmpty()) parts.add("TCP bind to port " + ports(p.tcpBind()));
        return String.join("; ", parts) + " (IPv4 and IPv6, any address); nothing else";
    }

    private static String ports(java.util.Set<Integer> ports) {
        return ports.stream().sorted().map(String::valueOf).collect(Collectors.joining(", "));
    }

    private static String limits(Limits l) {
        List<String> parts = new ArrayList<>();
        if (l.cpuTime() != null) parts.add("CPU time " + duration(l.cpuTime()));
        if (l.wallTime() != null) parts.add("wall time " + duration(l.wallTime()));
        if (l.memoryBytes() > 0) parts.add("memory " + size(l.memoryBytes()));
        if (l.processes() > 0) parts.add(l.processes() + " processes");
        if (l.outputBytes() > 0) parts.add("output " + size(l.outputBytes()));
        if (l.fileSize() > 0) parts.add("file size " + size(l.fileSize()));
        if (l.openFiles() > 0) parts.add(l.openFiles() + " open files");
        if (l.stack() > 0) parts.add("stack " + size(l.stack()));
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    private static String duration(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    private static String size(long b) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        while (u < 4 && b >= 1024 && b % 1024 == 0) {
            b /= 1024;
            u++;
        }
        return b + " " + units[u];
    }
}
