package dev.cordon.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cordon run} end to end, in its own JVM: exit codes, messages, help, report. */
public class CliTest {
    private static final List<String> SYSTEM = List.of("--read", "/usr", "--read", "/etc", "--exec", "/usr",
            "--exec", "/lib64", "--env", "PATH=/usr/bin:/bin");

    /** For other test classes: the CLI in its own JVM. */
    public static Ran cordonRun(List<String> args) {
        return cordon(args);
    }

    static Ran cordon(List<String> args) {
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.addAll(args);
        return TestKit.nativeRun(cmd, false);
    }

    /** The command that starts the CLI in a new JVM, without its arguments. */
    public static List<String> javaCommand() {
        String java = ProcessHandle.current().info().command().orElse("java");
        // Where the classes really come from: under the JUnit console launcher the class path is its own jar.
        String cp = Stream.of(Main.class, picocli.CommandLine.class, JsonFactory.class)
                .map(c -> {
                    try {
                        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
                    } catch (java.net.URISyntaxException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .reduce((a, b) -> a + File.pathSeparator + b).orElse("");
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", cp, "dev.cordon.cli.Main");
    }

    static Ran cordon(String... args) {
        return cordon(List.of(args));
    }

    static List<String> run(List<String> options, String... command) {
        List<String> all = new ArrayList<>(List.of("run"));
        all.addAll(options);
        all.add("--");
        all.addAll(List.of(command));
        return all;
    }

    @Test
    void exitCodeIsTheProgramsOwn() {
        Ran r = cordon(run(SYSTEM, "sh", "-c", "echo out; exit 7"));
        assertThat(r.exit()).isEqualTo(7);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).startsWith("cordon: RUNTIME_ERROR: exited with code 7 · wall ");
    }

    @Test
    void signalBecomes128PlusN() {
        Ran r = cordon(run(SYSTEM, "sh", "-c", "kill -TERM $$"));
        assertThat(r.exit()).isEqualTo(143);
        assertThat(r.stderr()).startsWith("cordon: RUNTIME_ERROR: killed by signal 15 (SIGTERM) · wall ");
    }

    @Test
    void quietDropsTheSummary() {
        Ran r = cordon(run(concat(SYSTEM, "--quiet"), "true"));
        assertThat(r.exit()).isZero();
        assertThat(r.stderr()).isEmpty();
    }

    @Test
    void notFoundIs127AndNotExecutableIs126() {
        Ran missing = cordon(run(SYSTEM, "no-such-program-xyz"));
        assertThat(missing.exit()).isEqualTo(127);
        assertThat(missing.stderr().trim()).isEqualTo("cordon: program \"no-such-program-xyz\" not found in PATH /usr/bin:/bin");
        Ran denied = cordon(run(List.of("--read", "/usr"), "/usr/bin/true"));
        assertThat(denied.exit()).isEqualTo(126);
        assertThat(denied.stderr().trim()).isEqualTo(
                "cordon: executing /usr/bin/true is denied by the policy: it is not under an execute rule (--exec)");
    }

    @Test
    void badInputIsOneLineAndExitCode2() {
        Map<List<String>, String> cases = new HashMap<>();
        cases.put(List.of("run", "--bogus", "--", "true"), "cordon: Unknown option: '--bogus' (see 'cordon run --help')");
        cases.put(List.of("run", "--read", "usr", "--", "true"), "cordon: --read usr: not an absolute path");
        cases.put(List.of("run", "--read", "/no/such/path", "--", "true"), "cordon: --read /no/such/path: no such file or directory");
        cases.put(List.of("run", "--cpu-time", "2x", "--", "true"), "cordon: --cpu-time: \"2x\" is not a duration; write e.g. 500ms, 2s, 1.5s or 3m");
        cases.put(List.of("run", "--file-size", "12Q", "--", "true"), "cordon: --file-size: \"12Q\" is not a size; write e.g. 4096, 64K, 256M or 2G");
        cases.put(List.of("run", "--tcp-connect", "70000", "--", "true"), "cordon: --tcp-connect 70000: not a TCP port (1-65535)");
        cases.put(List.of("run", "--env", "NO_SUCH_VAR_XYZ", "--", "true"), "cordon: --env NO_SUCH_VAR_XYZ: no such variable in Cordon's environment");
        cases.put(List.of("run", "--stdin", "/no/such/file", "--", "true"), "cordon: --stdin /no/such/file: no such file");
        cases.put(List.of("run", "--open-files", "-3", "--", "true"), "cordon: --open-files: \"-3\" is not a positive whole number");
        cases.put(List.of("run"), "cordon: no program given (see 'cordon run --help')");
        cases.put(List.of("frobnicate"), "cordon: Unmatched argument at index 0: 'frobnicate' (see 'cordon --help')");
        cases.forEach((args, message) -> {
            Ran r = cordon(args);
            assertThat(r.exit()).as("%s", args).isEqualTo(2);
            assertThat(r.stderr()).as("%s", args).isEqualTo(message + "\n");
        });
    }

    @Test
    void helpDocumentsEveryOption() {
        Ran r = cordon("run", "--help");
        assertThat(r.exit()).isZero();
        for (String option : List.of("--read", "--write", "--exec", "--tcp-connect", "--tcp-bind", "--env", "--cwd",
                "--uid", "--gid", "--cpu-time", "--file-size", "--open-files", "--stack", "--stdin", "--stdout",
                "--stderr", "--report", "--meta", "--wall-time", "--memory", "--processes", "--output-limit", "--quiet",
                "--best-effort", "--help", "--version")) {
            assertThat(r.stdout()).as(option).contains(option);
        }
        assertThat(RunCommand.OPTIONS).allSatisfy(o -> assertThat(r.stdout()).contains(o.longName()));
    }

    @Test
    void stdioRedirectsAndReport() throws Exception {
        Path dir = TestKit.newDir("cli");
        Path in = TestKit.file(dir, "in.txt", "from stdin\n");
        Path out = dir.resolve("out.txt");
        Path report = dir.resolve("report.json");
        Ran r = cordon(run(concat(SYSTEM, "--stdin", in.toString(), "--stdout", out.toString(), "--report",
                report.toString()), "sh", "-c", "tr a-z A-Z; exit 4"));
        assertThat(r.exit()).isEqualTo(4);
        assertThat(out).hasContent("FROM STDIN");
        Map<String, String> json = flat(report);
        assertThat(json).containsEntry("schema", "1").containsEntry("status", "exited").containsEntry("exit_code", "4")
                .containsEntry("exit_status", "4").containsEntry("verdict", "RUNTIME_ERROR")
                .containsEntry("limit_exceeded", "null").containsKey("wall_time_s");
        // Peak memory needs a cgroup: root has one here, an ordinary user does not, and gets null, not a wrong figure.
        if (TestKit.ROOT) {
            assertThat(Long.parseLong(json.get("peak_memory_bytes"))).isPositive();
            assertThat(json).containsEntry("measured_by", "cgroup v1");
        } else {
            assertThat(json).containsEntry("peak_memory_bytes", "null");
        }
        assertThat(json.get("layers")).contains("landlock abi");
    }

    @Test
    void traceShowsEverySupervisedCallWithItsVerdict() {
        Path dir = TestKit.newDir("trace");
        Path secret = TestKit.file(TestKit.newDir("secret"), "s.txt", "x");
        List<String> args = new ArrayList<>(List.of("trace"));
        args.addAll(SYSTEM);
        args.addAll(List.of("--read", dir.toString(), "--", "sh", "-c", "cat " + secret + "; exit 0"));
        Ran r = cordon(args);
        assertThat(r.exit()).isZero();
        List<String> lines = r.stderr().lines().toList();
        assertThat(lines).anyMatch(l -> l.matches("\\[\\d+ sh\\] execve\\(\"/usr/bin/cat\"\\) = allowed"));
        assertThat(lines).anyMatch(l -> l.matches("\\[\\d+ cat\\] openat\\(AT_FDCWD, \"" + java.util.regex.Pattern.quote(secret.toString())
                + "\", O_RDONLY\\) = EACCES \\(not in read rules\\)"));
        assertThat(cordon("trace", "--audit", "none", "--", "true").stderr())
                .isEqualTo("cordon: --audit: trace always runs at audit level all\n");
    }

    @Test
    void metaFileInIsolateFormat() throws Exception {
        Path meta = TestKit.newDir("cli").resolve("meta.txt");
        Ran r = cordon(run(concat(SYSTEM, "--wall-time", "1s", "--meta", meta.toString()), "sleep", "10"));
        assertThat(r.exit()).isEqualTo(137);
        assertThat(r.stderr()).startsWith("cordon: TIME_LIMIT (wall time limit): killed by signal 9 (SIGKILL)");
        List<String> lines = Files.readAllLines(meta);
        assertThat(lines).contains("exitsig:9", "killed:1", "status:TO", "message:Time limit exceeded (wall clock)");
        assertThat(lines).anyMatch(l -> l.startsWith("time-wall:1.")).anyMatch(l -> l.startsWith("time:0."));
    }

    @Test
    void reportOfALaunchFailure() throws Exception {
        Path report = TestKit.newDir("cli").resolve("report.json");
        Ran r = cordon(run(List.of("--read", "/usr", "--report", report.toString()), "/usr/bin/true"));
        assertThat(r.exit()).isEqualTo(126);
        Map<String, String> json = flat(report);
        assertThat(json).containsEntry("status", "launch_failed").containsEntry("verdict", "SANDBOX_ERROR");
        assertThat(json.get("error")).contains("not under an execute rule");
    }

    /** Top-level fields of a JSON object; arrays and objects joined as text. */
    static Map<String, String> flat(Path file) throws Exception {
        Map<String, String> fields = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser(Files.readAllBytes(file))) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.START_ARRAY || t == JsonToken.START_OBJECT) {
                    StringBuilder sb = new StringBuilder();
                    int depth = 1;
                    while (depth > 0) {
                        JsonToken x = p.nextToken();
                        if (x == JsonToken.START_ARRAY || x == JsonToken.START_OBJECT) depth++;
                        else if (x == JsonToken.END_ARRAY || x == JsonToken.END_OBJECT) depth--;
                        else if (x.isScalarValue()) sb.append(p.getText()).append(' ');
                    }
                    fields.put(name, sb.toString());
                } else {
                    fields.put(name, t == JsonToken.VALUE_NULL ? "null" : p.getText());
                }
            }
        }
        return fields;
    }

    static List<String> concat(List<String> a, String... b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(b));
        return all;
    }
}
