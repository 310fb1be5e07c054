package dev.cordon.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link QuickParse} against picocli: on every line it accepts, it must read exactly what picocli reads; on the
 * lines it must decline (where picocli answers with help, an error or reads something unusual), it declines.
 */
class QuickParseTest {
    /** Lines QuickParse reads: each compared option by option with picocli's reading. */
    private static final List<List<String>> ACCEPTED = List.of(
            List.of("run", "--", "/bin/true"),
            List.of("run", "/bin/true"),
            List.of("run", "-q", "--read", "/usr", "--exec", "/usr", "--exec", "/lib64", "--", "/bin/true"),
            List.of("run", "-r", "/usr", "-x", "/usr", "-w", "/tmp", "-e", "PATH=/bin", "-e", "HOME", "ls", "-l"),
            List.of("run", "--read=/usr", "--cwd=/tmp", "--env=A=b=c", "--", "sh", "-c", "echo -- x"),
            List.of("trace", "--best-effort", "--namespaces", "--tmp", "--compute-only", "--", "/bin/true", "-q"),
            List.of("run", "--cpu-time", "2s", "--wall-time", "5s", "--memory", "256M", "--processes", "10",
                    "--output-limit", "1M", "--file-size", "1M", "--open-files", "64", "--stack", "8M", "--stdin",
                    "/dev/null", "--stdout", "/tmp/o", "--stderr", "/tmp/e", "--report", "r.json", "--meta", "m",
                    "--engine", "ptrace", "--log", "l", "--audit", "all", "--syscalls", "f", "--syscall", "kill ptrace",
                    "--syscall", "allow write", "--uid", "1000", "--gid", "1000", "--policy", "p.toml", "--profile",
                    "shell", "--deny", "/usr/x", "--tcp-connect", "80", "--tcp-bind", "8080", "prog", "--read", "x"),
            List.of("run", "--read", "/a b", "--env", "X=", "prog"),
            List.of("run", "prog", "-h", "--version", "x"),
            List.of("run", "--", "-dash-program", "--read", "x"));

    /** Lines QuickParse leaves to picocli. */
    private static final List<List<String>> DECLINED = List.of(
            List.of("run", "--help"),
            List.of("run", "-h", "--", "x"),
            List.of("run", "--version", "x"),
            List.of("run", "--bogus", "x"),
            List.of("run", "-qx", "/usr", "x"),
            List.of("run", "-r/usr", "x"),
            List.of("run", "-r=/usr", "x"),
            List.of("run", "--read"),
            List.of("run", "--read", "-q", "x"),
            List.of("run", "--read="),
            List.of("run", "--cwd", "/a", "--cwd", "/b", "x"),
            List.of("run", "-q", "-q", "x"),
            List.of("run", "--quiet=true", "x"),
            List.of("run", "-", "x"),
            List.of("run", "@args.txt"),
            List.of("run", "--", "prog", "@x"),
            List.of("run", "--", "prog", "--", "x"),
            List.of("trace", "-q", "--", "--"),
            List.of("run", "-q"),
            List.of("run", "-q", "--"),
            List.of("run", "--rea", "/usr", "x"));

    @Test
    void readsWhatPicocliReads() {
        for (List<String> line : ACCEPTED) {
            String[] args = line.toArray(String[]::new);
            QuickParse.Parsed quick = QuickParse.parse(RunCommand.OPTIONS, args, 1);
            assertThat(quick).as("%s", line).isNotNull();
            CommandLine cl = PicocliMain.commandLine(new CheckCommand(), new ProfilesCommand());
            Args full = new PicocliArgs(cl.parseArgs(args).subcommand());
            for (QuickParse.Option o : RunCommand.OPTIONS) {
                assertThat(quick.hasMatchedOption(o.longName())).as("%s %s", line, o.longName())
                        .isEqualTo(full.hasMatchedOption(o.longName()));
                Object q = quick.matchedOptionValue(o.longName(), null);
                Object f = full.matchedOptionValue(o.longName(), null);
                assertThat(q).as("%s %s", line, o.longName()).isEqualTo(f);
            }
            assertThat(quick.positionals()).as("%s", line).isEqualTo(full.positionals());
        }
    }

    @Test
    void declinesWhatOnlyPicocliShouldAnswer() {
        for (List<String> line : DECLINED) {
            assertThat(QuickParse.parse(RunCommand.OPTIONS, line.toArray(String[]::new), 1)).as("%s", line).isNull();
        }
    }

    @Test
    void everyOptionReadInBothForms() {
        // Each option alone, by each of its names, with a value where it takes one: the same as picocli.
        for (QuickParse.Option o : RunCommand.OPTIONS) {
            List<String> names = new ArrayList<>(List.of(o.longName()));
            if (o.shortName() != null) names.add(o.shortName());
            for (String name : names) {
                List<String> line = new ArrayList<>(List.of("run", name));
                if (o.kind() != QuickParse.Kind.FLAG) line.add("v");
                line.add("prog");
                String[] args = line.toArray(String[]::new);
                QuickParse.Parsed quick = QuickParse.parse(RunCommand.OPTIONS, args, 1);
                assertThat(quick).as("%s", line).isNotNull();
                CommandLine cl = PicocliMain.commandLine(new CheckCommand(), new ProfilesCommand());
                Args full = new PicocliArgs(cl.parseArgs(args).subcommand());
                assertThat((Object) quick.matchedOptionValue(o.longName(), null)).as("%s", line)
                        .isEqualTo(full.matchedOptionValue(o.longName(), null));
                assertThat(quick.positionals()).isEqualTo(full.positionals());
            }
        }
    }
}
