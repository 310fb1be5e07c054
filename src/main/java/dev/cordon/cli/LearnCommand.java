package dev.cordon.cli;

import dev.cordon.AuditLevel;
import dev.cordon.Engine;
import dev.cordon.LaunchException;
import dev.cordon.Limits;
import dev.cordon.Policy;
import dev.cordon.PolicyException;
import dev.cordon.SandboxException;
import dev.cordon.internal.learn.LearnRun;
import dev.cordon.internal.learn.PolicyWriter;
import dev.cordon.internal.policy.PolicyFiles;
import dev.cordon.internal.policy.Units;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code cordon learn [OPTIONS] -- PROGRAM [ARG...]}: runs the program, observed, and writes the policy it needs. */
final class LearnCommand {
    static final int DEFAULT_COLLAPSE = 8;
    static final double DEFAULT_MARGIN = 2;

    private final CommandSpec spec = CommandSpec.create().name("learn");

    LearnCommand() {
        spec.mixinStandardHelpOptions(true);
        spec.usageMessage()
                .description("Runs PROGRAM with every call observed, and writes a policy file (the format of "
                        + "'cordon run --policy') that allows exactly what it did: the files it read, wrote and "
                        + "executed (with their ELF and #! interpreters), the syscalls it made, the TCP ports it "
                        + "used, its environment and working directory, and limits of the use observed times a "
                        + "margin. The program may read and execute everything its user can, but write only in the "
                        + "--write directories: a write elsewhere is refused, reported and not learned. As root it "
                        + "runs as uid 65534, like 'cordon run'. Every call goes through the supervisor: the "
                        + "program runs several times slower than usual. Its standard streams are its own.")
                .footerHeading("%nExit status:%n")
                .footer("  N      the program's own exit code (the policy is written either way)",
                        "  128+N  the program was ended by signal N",
                        "  2      usage error: no program, unknown base profile, bad option, -o not writable",
                        "  125    the sandbox could not be set up",
                        "  126    the program is not executable",
                        "  127    the program was not found");
        single(null, "--base", "PROFILE", "Learn within a profile shipped with Cordon (see 'cordon profiles'): its "
                + "network, syscall rules and limits stay in force while learning, and its environment is "
                + "passed on. Its paths are widened to reading and executing everything.");
        single("-o", "--output", "FILE", "Write the policy to FILE (default: standard output, after the program's "
                + "own output).");
        list("-w", "--write", "DIR", "Let the program write in DIR (a directory or a file) while learning; "
                + "repeatable. Writes elsewhere are refused and listed in the policy as not granted.");
        list(null, "--tcp-connect", "PORT", "Let the program connect to TCP PORT while learning (repeatable); the "
                + "policy keeps the ports it used.");
        list(null, "--tcp-bind", "PORT", "Let the program bind TCP PORT while learning (repeatable); the policy "
                + "keeps the ports it used.");
        list("-e", "--env", "NAME[=VALUE]", "Set an environment variable, as for 'cordon run'; the policy keeps it.");
        single(null, "--cwd", "DIR", "Working directory of the program (default: the current directory); the "
                + "policy keeps it.");
        single(null, "--collapse", "N", "Where N or more entries of one directory were used, the directory "
                + "replaces them (default " + DEFAULT_COLLAPSE + "; never \"/\" nor a top-level directory).");
        single(null, "--margin", "FACTOR", "Limits are the use observed times FACTOR (default 2; at least 1 s of "
                + "CPU, 5 s of wall time and 64M of memory). Memory and processes are measured with a cgroup only.");
        flag("-q", "--quiet", "Do not print the summary line on stderr.");
        spec.addPositional(PositionalParamSpec.builder().paramLabel("PROGRAM [ARG...]").arity("0..*")
                .type(List.class).auxiliaryTypes(String.class)
                .description("The program and its arguments; put -- before it if an argument starts with a dash.")
                .build());
    }

    CommandSpec spec() {
        return spec;
    }

    private void list(String shortName, String longName, String label, String description) {
        OptionSpec.Builder b = shortName == null ? OptionSpec.builder(longName) : OptionSpec.builder(shortName, longName);
        spec.addOption(b.paramLabel(label).type(List.class).auxiliaryTypes(String.class).arity("1")
                .description(description).build());
    }

    private void single(String shortName, String longName, String label, String description) {
        OptionSpec.Builder b = shortName == null ? OptionSpec.builder(longName) : OptionSpec.builder(shortName, longName);
        spec.addOption(b.paramLabel(label).type(String.class).arity("1").description(description).build());
    }

    private void flag(String shortName, String longName, String description) {
        OptionSpec.Builder b = shortName == null ? OptionSpec.builder(longName) : OptionSpec.builder(shortName, longName);
        spec.addOption(b.arity("0").type(boolean.class).description(description).build());
    }

    int execute(ParseResult r, PrintWriter out, PrintWriter err) {
        List<String> command = r.matchedPositionalValue(0, List.of());
        if (command.isEmpty()) {
            err.println("cordon: no program given (see 'cordon learn --help')");
            return Main.EXIT_USAGE;
        }
        String base = r.matchedOptionValue("--base", null);
        Path output;
        int collapse;
        double margin;
        Policy policy;
        try {
            output = output(r.matchedOptionValue("--output", null));
            collapse = (int) Units.count("--collapse", r.matchedOptionValue("--collapse", Integer.toString(DEFAULT_COLLAPSE)));
            if (collapse < 2) throw new PolicyException("--collapse " + collapse + ": must be 2 or more");
            margin = margin(r.matchedOptionValue("--margin", null));
            policy = policy(r, base);
        } catch (PolicyException e) {
            err.println("cordon: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        boolean quiet = r.matchedOptionValue("--quiet", false);
        java.util.Set<String> printed = java.util.concurrent.ConcurrentHashMap.newKeySet();
        LearnRun.Outcome outcome;
        try {
            outcome = LearnRun.run(policy, command, v -> {
                if (printed.add(v.process() + " " + v.call())) err.println("cordon: " + v.describe());
            });
        } catch (PolicyException e) {
            err.println("cordon: " + e.getMessage());
            return Main.EXIT_USAGE;
        } catch (LaunchException e) {
            err.println("cordon: " + e.getMessage());
            return e.reason() == LaunchException.Reason.NOT_FOUND ? Main.EXIT_NOT_FOUND
                    : e.reason() == LaunchException.Reason.OTHER ? Main.EXIT_SETUP : Main.EXIT_NOT_EXECUTABLE;
        } catch (SandboxException e) {
            err.println("cordon: " + e.getMessage());
            return Main.EXIT_SETUP;
        } catch (InterruptedException e) {
            err.println("cordon: interrupted");
            return Main.EXIT_SETUP;
        }
        Path cwd = policy.workingDirectory() != null ? policy.workingDirectory() : Path.of("").toAbsolutePath();
        String text = PolicyWriter.write(outcome.learned(), policy.environment(), cwd, outcome.result(),
                new PolicyWriter.Options(collapse, margin, base, command));
        if (output == null) {
            out.print(text);
            out.flush();
        } else {
            try {
                Files.writeString(output, text);
            } catch (IOException e) {
                err.println("cordon: -o " + output + ": cannot write: " + e.getMessage());
                return Main.EXIT_SETUP;
            }
            try {
                PolicyFiles.load(output.toString()).toPolicy(); // what was written must load
            } catch (PolicyException e) {
                err.println("cordon: the learned policy does not load (a bug in cordon learn): " + e.getMessage());
                return Main.EXIT_SETUP;
            }
        }
        var result = outcome.result();
        if (!quiet) {
            String ended = switch (result.termination()) {
                case dev.cordon.Termination.Exited e -> "exited with code " + e.code();
                case dev.cordon.Termination.Signaled g -> "killed by signal " + g.signal();
            };
            err.println("cordon learn: the program " + ended + "; learned " + outcome.learned().syscalls().size()
                    + " syscalls, " + outcome.learned().read().size() + " paths read, " + outcome.learned().write().size()
                    + " written, " + outcome.learned().exec().size() + " executed"
                    + (output == null ? "" : "; policy written to " + output));
            if (result.exitStatus() != 0) {
                err.println("cordon learn: the program did not succeed: the policy covers only what this run did");
            }
        }
        return result.exitStatus();
    }

    private static Path output(String name) {
        if (name == null) return null;
        Path p = Path.of(name).toAbsolutePath();
        Path dir = p.getParent();
        if (Files.isDirectory(p)) throw new PolicyException("-o " + name + ": is a directory");
        if (dir == null || !Files.isDirectory(dir)) throw new PolicyException("-o " + name + ": no such directory");
        if (Files.exists(p) ? !Files.isWritable(p) : !Files.isWritable(dir)) {
            throw new PolicyException("-o " + name + ": not writable");
        }
        return p;
    }

    private static double margin(String text) {
        if (text == null) return DEFAULT_MARGIN;
        try {
            double m = Double.parseDouble(text.trim());
            if (m >= 1 && m <= 1000) return m;
        } catch (NumberFormatException ignored) {
            // Reported below.
        }
        throw new PolicyException("--margin " + text + ": not a factor from 1 to 1000, e.g. 2 or 1.5");
    }

    /**
     * The learning run's policy: the base profile, with reading and executing everywhere (no more than the user
     * could do without Cordon), writing only where --write says, every call observed.
     */
    private static Policy policy(ParseResult r, String base) {
        Policy.Builder b = Policy.builder();
        Limits limits = Limits.NONE;
        if (base != null) limits = PolicyFileSupport.apply(b, List.of(base), List.of());
        b.execute("/");
        for (String p : r.matchedOptionValue("--write", List.<String>of())) {
            Path path = Path.of(p).toAbsolutePath().normalize();
            if (!Files.exists(path)) throw new PolicyException("--write " + p + ": no such file or directory");
            b.write(path.toString());
        }
        for (String p : r.matchedOptionValue("--tcp-connect", List.<String>of())) b.tcpConnect(OptionValues.port("--tcp-connect", p));
        for (String p : r.matchedOptionValue("--tcp-bind", List.<String>of())) b.tcpBind(OptionValues.port("--tcp-bind", p));
        OptionValues.environment(b, r.matchedOptionValue("--env", List.<String>of()));
        OptionValues.workingDirectory(b, r.matchedOptionValue("--cwd", null));
        // Output is not relayed: the program's streams are its own. Namespaces and the ptrace engine are off:
        // learning resolves paths in Cordon's view, through notifications.
        b.limits(limits.withOutput(0));
        b.audit(AuditLevel.ALL);
        b.engine(Engine.NOTIFY);
        b.namespaces(false);
        return b.build();
    }
}
