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
        System.exit(run(args));
    }

    static int run(String[] args) {
        CommandSpec top = CommandSpec.create().name("cordon").version("cordon " + VERSION);
        top.mixinStandardHelpOptions(true);
        top.usageMessage().description("Runs a program, and every process it starts, under a policy enforced by the kernel.");
        RunCommand run = new RunCommand();
        top.addSubcommand("run", run.spec());
        CheckCommand check = new CheckCommand();
        top.addSubcommand("check", check.spec());
        ProfilesCommand profiles = new ProfilesCommand();
        top.addSubcommand("profiles", profiles.spec());
        CommandLine cl = new CommandLine(top);
        cl.setStopAtPositional(false);
        cl.getSubcommands().get("run").setStopAtPositional(true);
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
            default -> run.execute(sub, err);
        };
    }
}
