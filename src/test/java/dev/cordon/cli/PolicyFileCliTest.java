package dev.cordon.cli;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlFactory;
import dev.cordon.internal.policy.PolicyFiles;
import dev.cordon.internal.policy.Profiles;
import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Policy files and profiles through the CLI, in its own JVM: errors, combination with flags, check, profiles. */
class PolicyFileCliTest {
    private static final String SYSTEM = """
            read = ["/usr", "/etc"]
            exec = ["/usr", "?/lib64", "?/lib"]

            [env]
            PATH = "/usr/bin:/bin"
            """;

    static Ran cordon(List<String> jvmOptions, List<String> args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = Stream.of(Main.class, picocli.CommandLine.class, JsonFactory.class, ObjectMapper.class,
                        JsonAutoDetect.class, TomlFactory.class)
                .map(c -> {
                    try {
                        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
                    } catch (java.net.URISyntaxException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .distinct().reduce((a, b) -> a + File.pathSeparator + b).orElse("");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", cp, "dev.cordon.cli.Main"));
        cmd.addAll(args);
        return TestKit.nativeRun(cmd, false);
    }

    static Ran cordon(String... args) {
        return cordon(List.of(), List.of(args));
    }

    static Path policy(String name, String text) {
        return TestKit.file(TestKit.newDir("policy"), name, text);
    }

    /** A bad file through {@code cordon run}: exit 2 and exactly this one line. */
    static void refused(Path file, String message) {
        Ran r = cordon("run", "--policy", file.toString(), "--", "true");
        assertThat(r.exit()).as(r.stderr()).isEqualTo(2);
        assertThat(r.stderr()).isEqualTo("cordon: " + message + "\n");
        // cordon check gives the same line (checkOfAnInvalidFile runs it); in process here, to keep the suite quick.
        assertThatThrownBy(() -> PolicyFiles.load(file.toString()).toPolicy()).hasMessage(message);
    }

    @Test
    void wrongType() {
        Path f = policy("policy.toml", "# paths\nread = \"/usr\"\n");
        refused(f, f + ":2: read: expected an array of strings, e.g. read = [\"/usr\"], got a string \"/usr\"");
    }

    @Test
    void wrongTypeInATable() {
        Path f = policy("policy.toml", "[limits]\nopen_files = true\n");
        refused(f, f + ":2: open_files: expected a positive whole number, got a boolean true");
    }

    @Test
    void unknownKeyWithASuggestion() {
        Path f = policy("policy.toml", "read = [\"/usr\"]\n\n[network]\ntcp_conect = [80]\n");
        refused(f, f + ":4: unknown key \"network.tcp_conect\"; did you mean \"tcp_connect\"?");
    }

    @Test
    void unknownKeyInTheWrongTable() {
        Path f = policy("policy.toml", "memory = \"256M\"\n");
        refused(f, f + ":1: unknown key \"memory\"; did you mean to put it under [limits]?");
    }

    @Test
    void badSize() {
        Path f = policy("policy.toml", "read = [\"/usr\"]\n\n[limits]\ncpu_time = \"2s\"\nmemory = \"256 megs\"\n");
        refused(f, f + ":5: memory: \"256 megs\" is not a size; write e.g. 4096, 64K, 256M or 2G");
    }

    @Test
    void badDuration() {
        Path f = policy("policy.toml", "[limits]\nwall_time = \"soon\"\n");
        refused(f, f + ":2: wall_time: \"soon\" is not a duration; write e.g. 500ms, 2s, 1.5s or 3m");
    }

    @Test
    void badPortAndRelativePathAndMissingPath() {
        Path f = policy("policy.toml", "[network]\ntcp_bind = [8080, 70000]\n");
        refused(f, f + ":2: tcp_bind: 70000 is not a TCP port (1-65535)");
        Path g = policy("policy.toml", "write = [\n  \"/tmp\",\n  \"out\",\n]\n");
        refused(g, g + ":3: write: \"out\" is not an absolute path");
        Path h = policy("policy.toml", "read = [\"/usr\", \"/no/such/dir\"]\n");
        refused(h, h + ":1: read: /no/such/dir: no such file or directory (write \"?/no/such/dir\" if it may be missing)");
    }

    @Test
    void badAuditLevelAndEngine() {
        Path f = policy("policy.toml", "audit = \"everything\"\n");
        refused(f, f + ":1: audit: \"everything\" is not an audit level; use \"denied\", \"all\" or \"none\"");
        Path g = policy("policy.toml", "engine = \"seccomp\"\n");
        refused(g, g + ":1: engine: \"seccomp\" is not an engine of this build; the engines are: notify, ptrace");
        assertThat(PolicyFiles.load(policy("policy.toml", "engine = \"ptrace\"\n").toString()).toPolicy().engine())
                .isEqualTo(dev.cordon.Engine.PTRACE);
    }

    @Test
    void cycleOfIncludes() {
        Path dir = TestKit.newDir("cycle");
        TestKit.file(dir, "a.toml", "include = [\"b.toml\"]\n");
        TestKit.file(dir, "b.toml", "read = [\"/usr\"]\ninclude = [\"a.toml\"]\n");
        refused(dir.resolve("a.toml"), dir.resolve("b.toml") + ":2: include: a cycle: " + dir.resolve("a.toml")
                + " includes " + dir.resolve("b.toml") + " includes " + dir.resolve("a.toml"));
    }

    @Test
    void missingInclude() {
        Path dir = TestKit.newDir("missing");
        TestKit.file(dir, "a.toml", "include = [\"profile:shell\", \"sub/b.toml\"]\n");
        TestKit.file(dir, "b.toml", "# no include here\n");
        refused(dir.resolve("a.toml"), dir.resolve("a.toml") + ":1: include: sub/b.toml: no such file ("
                + dir.resolve("a.toml") + " includes " + dir.resolve("sub/b.toml") + ")");
    }

    @Test
    void unknownProfile() {
        Path f = policy("policy.toml", "include = [\"profile:cobol\"]\n");
        refused(f, f + ":1: include: no profile named \"cobol\"; the profiles are: " + String.join(", ", Profiles.NAMES));
        Ran r = cordon("run", "--profile", "cobol", "--", "true");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).isEqualTo("cordon: no profile named \"cobol\"; the profiles are: "
                + String.join(", ", Profiles.NAMES) + "\n");
    }

    @Test
    void tenMegabyteFileIsRefusedBeforeParsing() throws Exception {
        Path f = TestKit.newDir("big").resolve("policy.toml");
        Files.write(f, new byte[10 << 20]);
        refused(f, f + ": too large (10485760 bytes; the limit is 1 MiB)");
    }

    @Test
    void binaryGarbage() throws Exception {
        Path f = TestKit.newDir("garbage").resolve("policy.toml");
        byte[] garbage = new byte[4096];
        new Random(42).nextBytes(garbage);
        garbage[0] = 'r';
        garbage[1] = '\n';
        garbage[2] = (byte) 0xff;
        Files.write(f, garbage);
        refused(f, f + ": not a TOML file: invalid UTF-8 (byte 0xff at line 2, column 1)");
        Files.write(f, new byte[] {'a', ' ', '=', ' ', 0, 1, 2});
        refused(f, f + ": not a TOML file: control character 0x00 at line 1, column 5");
    }

    @Test
    void syntaxError() {
        Path f = policy("policy.toml", "read = [\"/usr\"\nwrite = 3\n");
        Ran r = cordon("run", "--policy", f.toString(), "--", "true");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).startsWith("cordon: " + f + ":2: not valid TOML (column ").hasLineCount(1);
    }

    @Test
    void syscallsKeyAddsASyscallPolicy() {
        Path f = policy("policy.toml", "read = [\"/usr\"]\n\nsyscalls = \"\"\"\nallow read, write\ndeny ptrace\n\"\"\"\n");
        // The rule's own place is within the string; the file's key is named before it.
        refused(f, f + ":3: syscalls: policy:2:1: expected an action (allow, errno NAME, kill, kill-thread, trap or "
                + "log), found \"deny\"");
        Path g = policy("policy.toml", "syscalls = [\"read\"]\n");
        refused(g, g + ":1: syscalls: expected a string, got an array [\"read\"]");
        // A valid policy takes effect.
        Path ok = policy("policy.toml", "exec = [\"" + TestKit.probe() + "\"]\nsyscalls = \"\"\"\nerrno EPERM getppid\n\"\"\"\n");
        Ran r = cordon("run", "-q", "--policy", ok.toString(), "--", TestKit.probe().toString(), "syscall",
                Integer.toString(dev.cordon.internal.syscalls.Arch.current().require("getppid")));
        assertThat(r.stdout()).isEqualTo("EPERM\n");
    }

    @Test
    void flagsAddToListsAndOverrideSingleValues() {
        Path dir = TestKit.newDir("combine");
        Path secret = TestKit.file(dir, "secret.txt", "from the flag\n");
        Path f = TestKit.file(dir, "policy.toml", SYSTEM + "A = \"from the file\"\n\n[limits]\nwall_time = \"1s\"\n");
        // Without flags: the file's wall time ends the sleep, and the file outside its paths is refused.
        Ran fileOnly = cordon("run", "--policy", f.toString(), "--", "sh", "-c",
                "echo \"$A\"; cat " + secret + " || echo refused; sleep 3");
        assertThat(fileOnly.exit()).isEqualTo(137);
        assertThat(fileOnly.stdout()).isEqualTo("from the file\nrefused\n");
        assertThat(fileOnly.stderr()).contains("TIME_LIMIT (wall time limit)");
        // With flags: --read adds a path, --env adds a variable, --wall-time replaces the file's.
        Ran withFlags = cordon("run", "--policy", f.toString(), "--read", secret.toString(), "--env", "B=from a flag",
                "--wall-time", "20s", "--", "sh", "-c", "echo \"$A/$B\"; cat " + secret + "; sleep 1.2");
        assertThat(withFlags.exit()).as(withFlags.stderr()).isZero();
        assertThat(withFlags.stdout()).isEqualTo("from the file/from a flag\nfrom the flag\n");
    }

    @Test
    void severalFilesAndAProfileCombineLikeIncludes() {
        Path dir = TestKit.newDir("several");
        Path one = TestKit.file(dir, "one.toml", "[env]\nX = \"1\"\nY = \"one\"\n");
        Path two = TestKit.file(dir, "two.toml", "[env]\nY = \"two\"\nPATH = \"$inherit\"\n");
        Ran r = cordon("run", "-q", "--profile", "shell", "--policy", one.toString(), "--policy", two.toString(), "--",
                "sh", "-c", "echo $X $Y; [ \"$PATH\" = \"" + System.getenv("PATH") + "\" ] && echo inherited");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("1 two\ninherited\n");
    }

    @Test
    void checkPrintsWhatAValidFileAllows() {
        Path dir = TestKit.newDir("check");
        Path f = TestKit.file(dir, "policy.toml", """
                # A judge's policy.
                include = ["profile:python3"]
                write = ["%s"]
                cwd = "%s"
                audit = "all"

                [network]
                tcp_connect = [443]

                [env]
                HOME = "/tmp"

                [limits]
                cpu_time = "2s"
                memory = "256M"
                output = "16M"
                """.formatted(dir, dir));
        Ran r = cordon("check", f.toString());
        assertThat(r.exit()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).startsWith(f + ": valid (read profile:python3, " + f + ")\nIt allows:\n")
                .contains("  read:          /usr, /etc/ld.so.cache")
                .contains("  read+write:    " + dir + "\n")
                .contains("  read+execute:  /usr/bin/python3, /usr/lib")
                .contains("  network:       TCP connect to port 443 (IPv4 and IPv6, any address); nothing else\n")
                .contains("  environment:   HOME, LANG, PATH, PYTHONDONTWRITEBYTECODE (values not shown)\n")
                .contains("  directory:     " + dir + "\n")
                .contains("  limits:        CPU time 2 s, memory 256 MiB, output 16 MiB\n")
                .contains("  supervisor:    audit all; namespaces no; best effort no\n")
                .contains("This machine:\n  enforced     file rules: Landlock ABI ")
                .endsWith("Enforceable here: 'cordon run' enforces all of it.\n");
        if (TestKit.ROOT) assertThat(r.stdout()).contains("for the whole sandbox: cgroup");
        else assertThat(r.stdout()).contains("weaker       memory limit: per process (RLIMIT_DATA)");
    }

    @Test
    void checkOfAnInvalidFile() {
        Path f = policy("policy.toml", "include = [\"profile:shell\"]\n[limits]\nprocesses = 0\n");
        Ran r = cordon("check", f.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).isEqualTo("cordon: " + f + ":3: processes: expected a positive whole number, got an integer 0\n");
    }

    @Test
    void checkSaysWhenBestEffortWouldBeNeeded() {
        Path f = policy("policy.toml", "namespaces = true\n[limits]\nprocesses = 8\n");
        Ran r = cordon("check", f.toString());
        if (TestKit.ROOT) {
            assertThat(r.exit()).isZero();
            assertThat(r.stdout()).contains("enforced     namespaces: pid, IPC, UTS, network");
        } else {
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.stdout()).contains("NOT enforced namespaces: they need root")
                    .contains("NOT enforced the process limit: it needs a cgroup")
                    .endsWith("Not enforceable here: 'cordon run' refuses it unless --best-effort (or best_effort = "
                            + "true) is given, and then runs without what is listed as NOT enforced.\n");
        }
    }

    @Test
    void profilesAreListedAndShownAsPolicyFiles() throws Exception {
        Ran list = cordon("profiles");
        assertThat(list.exit()).isZero();
        assertThat(list.stdout().lines().toList()).hasSize(Profiles.NAMES.size());
        for (String name : Profiles.NAMES) {
            assertThat(list.stdout()).containsPattern("(?m)^" + name + " +\\S");
            Ran show = cordon("profiles", "show", name);
            assertThat(show.exit()).isZero();
            // What show prints is a policy file: it loads as one (includes of other profiles work from anywhere).
            Path f = policy(name + ".toml", show.stdout());
            assertThat(PolicyFiles.load(f.toString()).toPolicy().network()).as(name).isFalse();
        }
        Ran bad = cordon("profiles", "show", "cobol");
        assertThat(bad.exit()).isEqualTo(2);
    }

    /** The TOML parser (Jackson databind and the TOML module) is loaded only when a policy file is given. */
    @Test
    void aPlainRunDoesNotLoadTheParser() throws Exception {
        Path dir = TestKit.newDir("classes");
        Path plain = dir.resolve("plain.log"), withFile = dir.resolve("file.log");
        Ran r = cordon(List.of("-Xlog:class+load:file=" + plain), List.of("run", "-q", "--exec", "/usr", "--exec",
                "/lib64", "--", "/usr/bin/true"));
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(Files.readString(plain)).doesNotContain("jackson").doesNotContain("dev.cordon.internal.policy.PolicyFiles");
        Ran p = cordon(List.of("-Xlog:class+load:file=" + withFile), List.of("run", "-q", "--profile", "c-run", "--",
                "/usr/bin/true"));
        assertThat(p.exit()).isEqualTo(126);
        assertThat(Files.readString(withFile)).contains("com.fasterxml.jackson.dataformat.toml.TomlMapper");
    }

    @Test
    void helpNamesTheNewOptionsAndCommands() {
        assertThat(cordon("run", "--help").stdout()).contains("--policy=FILE").contains("--profile=NAME");
        assertThat(cordon("--help").stdout()).contains("check").contains("profiles");
        assertThat(cordon("check", "--help").stdout()).contains("Exit status");
    }
}
