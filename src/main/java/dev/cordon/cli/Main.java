package dev.cordon.cli;

import java.io.PrintWriter;

/**
 * Entry point of the {@code cordon} command. A well-formed {@code run}/{@code trace} line is read by
 * {@link QuickParse}, without picocli; the rest by picocli ({@link PicocliMain}), whose command model is built in
 * code, not from annotations. Start-up is paid by a CLI user on every run: README, "Speed".
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
        // Nothing started (help, a usage error, check, profiles): no thread to wait for, and no native code to link.
        if (!RunCommand.launched) System.exit(code);
        dev.cordon.internal.launch.Launcher.shutdownCleanly();
        dev.cordon.internal.sys.Sys.exitGroup(code);
    }

    static int run(String[] args) {
        // The common line, read without picocli (see QuickParse); everything else goes to picocli.
        if (args.length > 1 && (args[0].equals("run") || args[0].equals("trace"))) {
            Args quick = QuickParse.parse(RunCommand.OPTIONS, args, 1);
            if (quick != null) return new RunCommand(args[0].equals("trace")).execute(quick, new PrintWriter(System.err, true));
        }
        return PicocliMain.run(args);
    }
}
