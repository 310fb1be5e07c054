package dev.cordon.cli;

import dev.cordon.AuditLevel;
import dev.cordon.Engine;
import dev.cordon.LaunchException;
import dev.cordon.Limits;
import dev.cordon.Policy;
import dev.cordon.PolicyException;
import dev.cordon.Redirect;
import dev.cordon.RunResult;
import dev.cordon.SandboxBuilder;
import dev.cordon.SandboxException;
import dev.cordon.SandboxProcess;
import dev.cordon.SyscallRules;
import dev.cordon.internal.policy.Units;
import dev.cordon.internal.report.MetaFile;
import dev.cordon.internal.report.Report;
import dev.cordon.internal.report.ViolationLog;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** {@code cordon run [OPTIONS] [--] PROGRAM [ARG...]}. */
final class RunCommand {
    /** The options of run and trace: read by {@link QuickParse} and made into picocli's model for the rest. */
    static final List<QuickParse.Option> OPTIONS = List.of(
            list(null, "--policy", "FILE", "Read the policy from a TOML policy file (README: \"Policy files and "
                    + "profiles\"). Options add to its lists (paths, ports, environment) and replace its single values "
                    + "(limits, --cwd, --audit...). Several files combine like includes."),
            list(null, "--profile", "NAME", "Start from a policy profile shipped with Cordon (see 'cordon profiles'), "
                    + "e.g. python3; combined like --policy, before the --policy files."),
            list("-r", "--read", "PATH", "Allow reading PATH (a file, or a directory and everything beneath it)."),
            list("-w", "--write", "PATH", "Allow reading and writing PATH: create, write, truncate, remove, rename, link."),
            list("-x", "--exec", "PATH", "Allow reading and executing PATH. A dynamically linked program also needs its "
                    + "ELF interpreter and libraries (e.g. --exec /usr/lib --exec /lib64)."),
            list(null, "--deny", "PATH", "Deny PATH inside a tree another rule allows, e.g. --read /home/u --deny "
                    + "/home/u/.ssh. Enforced by Landlock: the directories on the way to PATH can then no longer be listed."),
            list(null, "--tcp-connect", "PORT", "Allow TCP connections to PORT (on any address). Without this and "
                    + "--tcp-bind there is no network at all."),
            list(null, "--tcp-bind", "PORT", "Allow binding TCP sockets to PORT."),
            list("-e", "--env", "NAME[=VALUE]", "Set an environment variable; NAME alone copies it from Cordon's "
                    + "environment. The program gets no other variable."),
            single(null, "--cwd", "DIR", "Working directory of the program (default: the current directory)."),
            single(null, "--uid", "UID", "When run as root: the user the program runs as (default 65534)."),
            single(null, "--gid", "GID", "When run as root: the group the program runs as (default 65534)."),
            single(null, "--cpu-time", "DURATION", "CPU time limit for the whole sandbox, all processes added up, "
                    + "e.g. 2s (cgroup; RLIMIT_CPU per process where no cgroup can be had)."),
            single(null, "--wall-time", "DURATION", "Wall-clock limit, e.g. 5s: the sandbox is killed when it is reached."),
            single(null, "--memory", "SIZE", "Memory limit for the whole sandbox, e.g. 256M (cgroup, no swap; "
                    + "RLIMIT_DATA per process where no cgroup can be had)."),
            single(null, "--processes", "N", "Most processes and threads alive at once in the sandbox (cgroup pids)."),
            single(null, "--output-limit", "SIZE", "Most bytes the program may write to stdout and to stderr (each), "
                    + "e.g. 16M; Cordon then relays both streams and counts them."),
            single(null, "--file-size", "SIZE", "Largest file the program may write, e.g. 16M (RLIMIT_FSIZE)."),
            single(null, "--open-files", "N", "Most open descriptors per process (RLIMIT_NOFILE)."),
            single(null, "--stack", "SIZE", "Stack size per process, e.g. 8M (RLIMIT_STACK)."),
            single(null, "--stdin", "FILE", "Read the program's standard input from FILE (opened by Cordon)."),
            single(null, "--stdout", "FILE", "Write the program's standard output to FILE (opened by Cordon)."),
            single(null, "--stderr", "FILE", "Write the program's standard error to FILE (opened by Cordon)."),
            single(null, "--report", "FILE", "Write a JSON report of the run to FILE (schema: README, \"Report\")."),
            single(null, "--meta", "FILE", "Write the run's figures and status to FILE in isolate's meta-file format."),
            single(null, "--engine", "ENGINE", "How the supervisor sees the calls it decides: notify (default: seccomp "
                    + "user notification) or ptrace (SECCOMP_RET_TRACE, decided at ptrace stops)."),
            single(null, "--log", "FILE", "Write every refused call to FILE as JSON lines, as it happens."),
            single(null, "--audit", "LEVEL", "What the supervisor reports: denied (default: every refused call, as a "
                    + "line on stderr; file opens refused by Landlock are not observed), all (file opens are checked by "
                    + "the supervisor too, so every refusal is explained; slower) or none (the kernel alone enforces, at "
                    + "the lowest cost)."),
            single(null, "--syscalls", "FILE", "A syscall policy file: one rule a line, e.g. \"allow write if arg0 == 1\", "
                    + "\"errno EBADF write\", \"kill ptrace\", \"allow @compute\", \"default errno EPERM\" (README, "
                    + "\"Syscall policies\"). It can only add restrictions to the sandbox's own filter."),
            list(null, "--syscall", "RULE", "One syscall policy rule, as in a --syscalls file; repeatable (errors cite "
                    + "--syscall:N, N counting the --syscall options)."),
            flag(null, "--compute-only", "Compute only: the @compute syscall set (start, read stdin, write stdout/stderr, "
                    + "threads, read-only opens for loading the program), every other call refused with EPERM: no new "
                    + "processes, no exec after the first, no network. The program's files still need --exec/--read."),
            flag("-q", "--quiet", "Do not print the summary line on stderr."),
            flag(null, "--no-hide-metadata", "Let the program stat, access, readlink and read xattrs of files outside "
                    + "the policy (Landlock does not govern these calls). By default they fail with ENOENT wherever no "
                    + "mount namespace hides the files, which costs a supervised call per stat."),
            flag(null, "--tmp", "With --namespaces: a private, empty, writable /tmp (64 MiB, noexec)."),
            flag(null, "--namespaces", "As root: run the program in its own pid (it is pid 1, and everything it starts "
                    + "dies with it), IPC, UTS and, without network, empty network namespaces."),
            flag(null, "--best-effort", "Run even if the kernel cannot enforce part of the policy; the summary and "
                    + "the report then list what was not enforced. Without it such a run is refused."));

    private final boolean trace;
    /** Whether this JVM started a sandbox: only then does ending it need {@link Main}'s native clean exit. */
    static volatile boolean launched;

    RunCommand() {
        this(false);
    }

    /** {@code trace}: {@code cordon trace}, the same options, every supervised call shown live with its verdict. */
    RunCommand(boolean trace) {
        this.trace = trace;
    }

    private static QuickParse.Option list(String shortName, String longName, String label, String description) {
        return new QuickParse.Option(shortName, longName, label, description, QuickParse.Kind.LIST);
    }

    private static QuickParse.Option single(String shortName, String longName, String label, String description) {
        return new QuickParse.Option(shortName, longName, label, description, QuickParse.Kind.SINGLE);
    }

    private static QuickParse.Option flag(String shortName, String longName, String description) {
        return new QuickParse.Option(shortName, longName, null, description, QuickParse.Kind.FLAG);
    }

    int execute(Args r, PrintWriter err) {
        if (trace && r.hasMatchedOption("--audit")) {
            err.println("cordon: --audit: trace always runs at audit level all");
            return Main.EXIT_USAGE;
        }
        List<String> command = r.positionals();
        if (command.isEmpty()) {
            err.println("cordon: no program given (see 'cordon run --help')");
            return Main.EXIT_USAGE;
        }
        Policy policy;
        SandboxBuilder builder;
        Path reportFile = null;
        Path metaFile = null;
        Path logFile = null;
        try {
            policy = policy(r);
            builder = new SandboxBuilder(policy, command).inheritIO();
            String in = r.matchedOptionValue("--stdin", null);
            String out = r.matchedOptionValue("--stdout", null);
            String errFile = r.matchedOptionValue("--stderr", null);
            if (in != null) builder.stdin(Redirect.file(existingFile("--stdin", in)));
            if (out != null) builder.stdout(Redirect.file(Path.of(out)));
            if (errFile != null) builder.stderr(Redirect.file(Path.of(errFile)));
            String reportName = r.matchedOptionValue("--report", null);
            if (reportName != null) reportFile = Path.of(reportName).toAbsolutePath();
            String metaName = r.matchedOptionValue("--meta", null);
            if (metaName != null) metaFile = Path.of(metaName).toAbsolutePath();
            String logName = r.matchedOptionValue("--log", null);
            if (logName != null) logFile = Path.of(logName).toAbsolutePath();
        } catch (PolicyException e) {
            err.println("cordon: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        Path report = reportFile;
        Path meta = metaFile;
        boolean quiet = r.matchedOptionValue("--quiet", false);
        Instant started = Instant.now();
        ViolationLog log;
        try {
            log = logFile == null ? null : new ViolationLog(logFile);
        } catch (IOException e) {
            err.println("cordon: --log " + logFile + ": cannot write: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        // On stderr each distinct refused call once (libraries retry the same probe); the log gets every event.
        java.util.Set<String> printed = java.util.concurrent.ConcurrentHashMap.newKeySet();
        builder.onViolation(v -> {
            if (trace) {
                err.println("[" + v.pid() + " " + v.process() + "] " + v.call() + " = " + v.action() + " (" + v.reason() + ")");
            } else if (!quiet && printed.add(v.process() + " " + v.call())) {
                err.println("cordon: " + v.describe());
            }
            if (log != null) log.write(v);
        });
        if (trace) builder.onCall(c -> err.println("[" + c.pid() + " " + c.process() + "] " + c.call() + " = allowed"));
        launched = true;
        // Linking the native calls takes tens of milliseconds of a fresh JVM: done on a second thread while this one
        // expands the rules and compiles the filter (README, "Speed"). Not before a usage error is ruled out: an
        // exit by System.exit would wait for that thread.
        Thread.ofPlatform().daemon().name("cordon-prepare").start(RunCommand::prepareLaunch);
        try (SandboxProcess process = builder.start(); ViolationLog closing = log) {
            RunResult result = process.waitFor();
            if (!quiet) err.println(Report.summary(result));
            if (report != null) writeReport(err, () -> Report.write(report, command, policy, started, result));
            if (meta != null) writeReport(err, () -> MetaFile.write(meta, result));
            return result.exitStatus();
        } catch (PolicyException e) {
            return fail(err, report, meta, command, policy, started, "setup_failed", e.getMessage(), Main.EXIT_USAGE);
        } catch (LaunchException e) {
            int code = e.reason() == LaunchException.Reason.NOT_FOUND ? Main.EXIT_NOT_FOUND
                    : e.reason() == LaunchException.Reason.OTHER ? Main.EXIT_SETUP : Main.EXIT_NOT_EXECUTABLE;
            return fail(err, report, meta, command, policy, started, "launch_failed", e.getMessage(), code);
        } catch (SandboxException e) {
            return fail(err, report, meta, command, policy, started, "setup_failed", e.getMessage(), Main.EXIT_SETUP);
        } catch (InterruptedException e) {
            err.println("cordon: interrupted");
            return Main.EXIT_SETUP;
        } catch (IOException e) {
            err.println("cordon: --log: " + e.getMessage());
            return Main.EXIT_SETUP;
        }
    }

    /** {@link dev.cordon.internal.launch.Launcher#prepare()}; a failure here is met again, and reported, by the launch. */
    private static void prepareLaunch() {
        try {
            dev.cordon.internal.launch.Launcher.prepare();
        } catch (Throwable t) {
            // Left to the launch: the same class initialisation fails there, with its own report.
        }
    }

    private int fail(PrintWriter err, Path report, Path meta, List<String> command, Policy policy, Instant started,
                     String status, String message, int code) {
        err.println("cordon: " + message);
        if (report != null) writeReport(err, () -> Report.writeFailure(report, command, policy, started, status, message));
        if (meta != null) writeReport(err, () -> MetaFile.writeFailure(meta, message));
        return code;
    }

    private interface ReportWriter {
        void write() throws IOException;
    }

    private static void writeReport(PrintWriter err, ReportWriter w) {
        try {
            w.write();
        } catch (IOException e) {
            err.println("cordon: cannot write the report: " + e.getMessage());
        }
    }

    private Policy policy(Args r) {
        Policy.Builder b = Policy.builder();
        Limits limits = Limits.NONE;
        List<String> profiles = r.matchedOptionValue("--profile", List.<String>of());
        List<String> policyFiles = r.matchedOptionValue("--policy", List.<String>of());
        if (!profiles.isEmpty() || !policyFiles.isEmpty()) limits = PolicyFileSupport.apply(b, profiles, policyFiles);
        for (String p : r.matchedOptionValue("--read", List.<String>of())) b.read(OptionValues.absolute("--read", p));
        for (String p : r.matchedOptionValue("--write", List.<String>of())) b.write(OptionValues.absolute("--write", p));
        for (String p : r.matchedOptionValue("--exec", List.<String>of())) b.execute(OptionValues.absolute("--exec", p));
        for (String p : r.matchedOptionValue("--deny", List.<String>of())) b.deny(OptionValues.absolute("--deny", p));
        for (String p : r.matchedOptionValue("--tcp-connect", List.<String>of())) b.tcpConnect(OptionValues.port("--tcp-connect", p));
        for (String p : r.matchedOptionValue("--tcp-bind", List.<String>of())) b.tcpBind(OptionValues.port("--tcp-bind", p));
        OptionValues.environment(b, r.matchedOptionValue("--env", List.<String>of()));
        OptionValues.workingDirectory(b, r.matchedOptionValue("--cwd", null));
        String uid = r.matchedOptionValue("--uid", null);
        String gid = r.matchedOptionValue("--gid", null);
        if (uid != null || gid != null) {
            b.user(uid == null ? Policy.NOBODY : (int) Units.count("--uid", uid),
                    gid == null ? Policy.NOBODY : (int) Units.count("--gid", gid));
        }
        String cpu = r.matchedOptionValue("--cpu-time", null);
        if (cpu != null) limits = limits.withCpuTime(Units.duration("--cpu-time", cpu));
        String wall = r.matchedOptionValue("--wall-time", null);
        if (wall != null) limits = limits.withWallTime(Units.duration("--wall-time", wall));
        String memory = r.matchedOptionValue("--memory", null);
        if (memory != null) limits = limits.withMemory(Units.size("--memory", memory));
        String processes = r.matchedOptionValue("--processes", null);
        if (processes != null) limits = limits.withProcesses(Units.count("--processes", processes));
        String output = r.matchedOptionValue("--output-limit", null);
        if (output != null) limits = limits.withOutput(Units.size("--output-limit", output));
        String fsize = r.matchedOptionValue("--file-size", null);
        if (fsize != null) limits = limits.withFileSize(Units.size("--file-size", fsize));
        String files = r.matchedOptionValue("--open-files", null);
        if (files != null) limits = limits.withOpenFiles(Units.count("--open-files", files));
        String stack = r.matchedOptionValue("--stack", null);
        if (stack != null) limits = limits.withStack(Units.size("--stack", stack));
        b.limits(limits);
        // Flags replace what a policy file set; absent, the file's value (or the default) stays.
        if (r.matchedOptionValue("--best-effort", false)) b.bestEffort(true);
        if (r.matchedOptionValue("--namespaces", false)) b.namespaces(true);
        if (r.matchedOptionValue("--tmp", false)) b.freshTmp(true);
        if (r.matchedOptionValue("--no-hide-metadata", false)) b.exposeMetadata(true);
        String engine = r.matchedOptionValue("--engine", null);
        if (engine != null) {
            b.engine(switch (engine) {
                case "notify" -> Engine.NOTIFY;
                case "ptrace" -> Engine.PTRACE;
                default -> throw new PolicyException("--engine " + engine + ": not an engine; use notify or ptrace");
            });
        }
        String audit = r.matchedOptionValue("--audit", null);
        if (trace) b.audit(AuditLevel.ALL);
        if (audit != null && !trace) {
            b.audit(switch (audit) {
                case "none" -> AuditLevel.NONE;
                case "denied" -> AuditLevel.DENIED;
                case "all" -> AuditLevel.ALL;
                default -> throw new PolicyException("--audit " + audit + ": not an audit level; use denied, all or none");
            });
        }
        syscalls(r, b);
        Policy policy = b.build();
        for (var rule : policy.paths()) {
            if (!Files.exists(rule.path())) {
                throw new PolicyException(optionFor(rule.access()) + " " + rule.path() + ": no such file or directory");
            }
        }
        return policy;
    }

    private static void syscalls(Args r, Policy.Builder b) {
        if (r.matchedOptionValue("--compute-only", false)) b.computeOnly();
        SyscallRules rules = SyscallRules.NONE;
        String file = r.matchedOptionValue("--syscalls", null);
        if (file != null) {
            try {
                rules = rules.and(file, Files.readString(Path.of(file)));
            } catch (IOException | java.io.UncheckedIOException e) {
                throw new PolicyException("--syscalls " + file + ": cannot read it: " + e.getMessage());
            }
        }
        List<String> cli = r.matchedOptionValue("--syscall", List.<String>of());
        if (!cli.isEmpty()) rules = rules.and("--syscall", String.join("\n", cli));
        b.syscalls(rules);
    }

    private static String optionFor(dev.cordon.Access a) {
        return switch (a) {
            case READ -> "--read";
            case WRITE -> "--write";
            case EXECUTE -> "--exec";
            case DENY -> "--deny";
        };
    }

    private static Path existingFile(String option, String name) {
        Path p = Path.of(name).toAbsolutePath();
        if (!Files.isRegularFile(p)) throw new PolicyException(option + " " + name + ": no such file");
        return p;
    }
}
