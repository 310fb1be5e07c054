package dev.cordon.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.PrintWriter;
import java.util.List;

/**
 * The command line read by picocli: help, version, check, profiles, errors and whatever {@link QuickParse} declines.
 * Every use of picocli's types is here or in the check and profiles commands, so that none of them is in the AOT
 * cache: a cached class that refers to a picocli class makes the JVM load that class from the jar at start-up.
 */
final class PicocliMain {
    private PicocliMain() {}

    static int run(String[] args) {
        CheckCommand check = new CheckCommand();
        ProfilesCommand profiles = new ProfilesCommand();
        RunCommand run = new RunCommand();
        RunCommand trace = new RunCommand(true);
        LearnCommand learn = new LearnCommand();
        CommandLine cl = commandLine(check, profiles, learn);
        PrintWriter err = new PrintWriter(System.err, true);
        CommandLine.ParseResult parsed;
        try {
            parsed = cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            String sub = e.getCommandLine().getCommandName();
            err.println("cordon: " + e.getMessage() + " (see 'cordon " + ("cordon".equals(sub) ? "" : sub + " ") + "--help')");
            return Main.EXIT_USAGE;
        }
        if (CommandLine.printHelpIfRequested(parsed)) return 0;
        if (!parsed.hasSubcommand()) {
            cl.usage(System.err);
            return Main.EXIT_USAGE;
        }
        CommandLine.ParseResult sub = parsed.subcommand();
        PrintWriter out = new PrintWriter(System.out, true);
        return switch (sub.commandSpec().name()) {
            case "check" -> check.execute(sub, out, err);
            case "profiles" -> profiles.execute(sub, out, err);
            case "trace" -> trace.execute(new PicocliArgs(sub), err);
            case "learn" -> learn.execute(sub, out, err);
            default -> run.execute(new PicocliArgs(sub), err);
        };
    }

    /** The whole command tree. */
    static CommandLine commandLine(CheckCommand check, ProfilesCommand profiles) {
        return commandLine(check, profiles, new LearnCommand());
    }

    static CommandLine commandLine(CheckCommand check, ProfilesCommand profiles, LearnCommand learn) {
        CommandSpec top = CommandSpec.create().name("cordon").version("cordon " + Main.VERSION);
        top.mixinStandardHelpOptions(true);
        top.usageMessage().description("Runs a program, and every process it starts, under a policy enforced by the kernel.");
        top.addSubcommand("run", runSpec(false));
        top.addSubcommand("trace", runSpec(true));
        top.addSubcommand("check", check.spec());
        top.addSubcommand("profiles", profiles.spec());
        top.addSubcommand("learn", learn.spec());
        CommandLine cl = new CommandLine(top);
        cl.setStopAtPositional(false);
        cl.getSubcommands().get("run").setStopAtPositional(true);
        cl.getSubcommands().get("trace").setStopAtPositional(true);
        cl.getSubcommands().get("learn").setStopAtPositional(true);
        return cl;
    }

    /** picocli's model of run or trace, from {@link RunCommand#OPTIONS}. */
    private static CommandSpec runSpec(boolean trace) {
        CommandSpec spec = CommandSpec.create().name(trace ? "trace" : "run");
        spec.mixinStandardHelpOptions(true);
        spec.usageMessage()
                .description(trace
                        ? "Runs PROGRAM like 'cordon run', with audit level all, and prints every supervised call of "
                          + "the whole process tree as it happens (execs, file opens, connect, bind, memfd and every "
                          + "refused call) with the policy's verdict: for writing a policy."
                        : "Runs PROGRAM in a sandbox. Nothing is allowed unless an option allows it: no file, "
                          + "no network, no environment variable. Paths must be absolute; a directory rule covers "
                          + "everything beneath it.")
                .footerHeading("%nExit status:%n")
                .footer("  N      the program's own exit code",
                        "  128+N  the program was ended by signal N",
                        "  2      usage error or bad option value",
                        "  125    the sandbox could not be set up",
                        "  126    the program is not executable, or the policy does not allow executing it",
                        "  127    the program was not found");
        for (QuickParse.Option o : RunCommand.OPTIONS) {
            OptionSpec.Builder b = o.shortName() == null ? OptionSpec.builder(o.longName())
                    : OptionSpec.builder(o.shortName(), o.longName());
            switch (o.kind()) {
                case LIST -> b.paramLabel(o.label()).type(List.class).auxiliaryTypes(String.class).arity("1");
                case SINGLE -> b.paramLabel(o.label()).type(String.class).arity("1");
                case FLAG -> b.arity("0").type(boolean.class);
            }
            spec.addOption(b.description(o.description()).build());
        }
        spec.addPositional(PositionalParamSpec.builder().paramLabel("PROGRAM [ARG...]").arity("1..*")
                .type(List.class).auxiliaryTypes(String.class)
                .description("The program (a path, or a name looked up in the PATH given with --env, else in "
                        + "/usr/local/bin:/usr/bin:/bin) and its arguments. Put -- before it if an argument "
                        + "starts with a dash.").build());
        return spec;
    }
}
