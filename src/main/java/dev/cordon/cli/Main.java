package dev.cordon.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;

/**
 * Entry point of the {@code cordon} command. The command model is built in code, not from annotations:
 * no reflection at start-up, which a CLI user pays for on every run.
 */
public final class Main {
    private Main() {}

    /** Exit codes of cordon itself (a run otherwise exits with the program's own status). */
    static final int EXIT_USAGE = 2, EXIT_SETUP = 125, EXIT_NOT_EXECUTABLE = 126, EXIT_NOT_FOUND = 127;
    static final String VERSION = "0.1.0";

    public static void main(String[] args) {
        int code = run(args);
        // By now every sandbox of this run has ended and been accounted for, and every file is written and closed.
        // System.exit (and halt) would make HotSpot wait up to 300 ms for the supervisor's threads, which sit in
        // native calls (epoll_wait, waitid): do the clean-up the shutdown hooks would do, and end at once.
        System.out.flush();
        System.err.flush();
        // A training run for the AOT cache must end normally: the JVM writes the cache on its way out.
        if (Boolean.getBoolean("cordon.jvmExit")) System.exit(code);
        dev.cordon.internal.launch.Launcher.shutdownCleanly();
        dev.cordon.internal.sys.Sys.exitGroup(code);
    }

    static int run(String[] args) {
        CommandSpec top = CommandSpec.create().name("cordon").version("cordon " + VERSION);
        top.mixinStandardHelpOptions(true);
        top.usageMessage().description("Runs a program, and every process it starts, under a policy enforced by the kernel.");
        RunCommand run = new RunCommand();
        RunCommand trace = new RunCommand(true);
        top.addSubcommand("run", run.spec());
        top.addSubcommand("trace", trace.spec());
        CheckCommand check = new CheckCommand();
        top.addSubcommand("check", check.spec());
        ProfilesCommand profiles = new ProfilesCommand();
        top.addSubcommand("profiles", profiles.spec());
        LearnCommand learn = new LearnCommand();
        top.addSubcommand("learn", learn.spec());
        CommandLine cl = new CommandLine(top);
        cl.setStopAtPositional(false);
        cl.getSubcommands().get("run").setStopAtPositional(true);
        cl.getSubcommands().get("trace").setStopAtPositional(true);
        cl.getSubcommands().get("learn").setStopAtPositional(true);
        PrintWriter err = new PrintWriter(System.err, true);
        CommandLine.ParseResult parsed;
        try {
            parsed = cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            String sub = e.getCommandLine().getCommandName();
            err.println("cordon: " + e.getMessage() + " (see 'cordon " + ("cordon".equals(sub) ? "" : sub + " ") + "--help')");
            return EXIT_USAGE;
        }
        if (CommandLine.printHelpIfRequested(parsed)) return 0;
        if (!parsed.hasSubcommand()) {
            cl.usage(System.err);
            return EXIT_USAGE;
        }
        CommandLine.ParseResult sub = parsed.subcommand();
        PrintWriter out = new PrintWriter(System.out, true);
        return switch (sub.commandSpec().name()) {
            case "check" -> check.execute(sub, out, err);
            case "profiles" -> profiles.execute(sub, out, err);
            case "trace" -> trace.execute(sub, err);
            case "learn" -> learn.execute(sub, out, err);
            default -> run.execute(sub, err);
        };
    }
}
