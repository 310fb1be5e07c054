package dev.cordon.internal.policy;

import dev.cordon.Access;
import dev.cordon.AuditLevel;
import dev.cordon.PathRule;
import dev.cordon.Policy;
import dev.cordon.testkit.TestKit;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading policy files in process: every key, the TOML forms people write, and where errors point. */
class PolicyFilesTest {
    static Path file(String text) {
        return TestKit.file(TestKit.newDir("pf"), "policy.toml", text);
    }

    static Policy load(String text) {
        return PolicyFiles.load(file(text).toString()).toPolicy();
    }

    @Test
    void hideMetadataKey() {
        assertThat(load("hide_metadata = false\n").exposeMetadata()).isTrue();
        assertThat(load("hide_metadata = true\n").exposeMetadata()).isFalse();
        assertThat(load("read = [\"/usr\"]\n").exposeMetadata()).isFalse();
    }

    @Test
    void everyKey() {
        Path dir = TestKit.newDir("every");
        Policy p = load("""
                # comment
                read = ["/usr", "?/no/such/optional"]   # trailing comment
                write = ['%s']
                exec = [
                    "/usr/bin",
                    "/usr/lib",
                ]
                deny = ["/usr/share/doc"]
                cwd = "%s"
                uid = 1234
                gid = 4321
                audit = "all"
                namespaces = true
                best_effort = true
                engine = "notify"

                [network]
                tcp_connect = [443, 80]
                tcp_bind = [8080]

                [env]
                A = "1"
                "WITH SPACE" = "x"
                PATH = "$inherit"

                [limits]
                cpu_time = "1.5s"
                wall_time = 10
                memory = "256M"
                processes = 16
                output = 1024
                file_size = "1G"
                open_files = 64
                stack = "8M"
                """.formatted(dir, dir));
        assertThat(p.paths()).containsExactly(new PathRule(Path.of("/usr"), Access.READ),
                new PathRule(dir, Access.WRITE), new PathRule(Path.of("/usr/bin"), Access.EXECUTE),
                new PathRule(Path.of("/usr/lib"), Access.EXECUTE), new PathRule(Path.of("/usr/share/doc"), Access.DENY));
        assertThat(p.workingDirectory()).isEqualTo(dir);
        assertThat(p.uid()).isEqualTo(1234);
        assertThat(p.gid()).isEqualTo(4321);
        assertThat(p.audit()).isEqualTo(AuditLevel.ALL);
        assertThat(p.namespaces()).isTrue();
        assertThat(p.bestEffort()).isTrue();
        assertThat(p.tcpConnect()).containsExactlyInAnyOrder(80, 443);
        assertThat(p.tcpBind()).containsExactly(8080);
        assertThat(p.environment()).containsEntry("A", "1").containsEntry("WITH SPACE", "x")
                .containsEntry("PATH", System.getenv("PATH"));
        assertThat(p.limits().cpuTime()).isEqualTo(Duration.ofMillis(1500));
        assertThat(p.limits().wallTime()).isEqualTo(Duration.ofSeconds(10));
        assertThat(p.limits().memoryBytes()).isEqualTo(256L << 20);
        assertThat(p.limits().processes()).isEqualTo(16);
        assertThat(p.limits().outputBytes()).isEqualTo(1024);
        assertThat(p.limits().fileSize()).isEqualTo(1L << 30);
        assertThat(p.limits().openFiles()).isEqualTo(64);
        assertThat(p.limits().stack()).isEqualTo(8L << 20);
    }

    @Test
    void aBareStringGetsAHint() {
        Path f = file("[limits]\nmemory = 256M\n");
        assertThatThrownBy(() -> PolicyFiles.load(f.toString())).hasMessageStartingWith(f + ":2: not valid TOML (column ")
                .hasMessageEndingWith("; strings need quotes: \"256M\"");
        Path g = file("[limits]\nprocesses = 12x\n");
        assertThatThrownBy(() -> PolicyFiles.load(g.toString())).hasMessageEndingWith("; strings need quotes: \"12x\"");
    }

    @Test
    void emptyFileAllowsNothing() {
        Policy p = load("# nothing\n");
        assertThat(p.paths()).isEmpty();
        assertThat(p.network()).isFalse();
        assertThat(p.environment()).isEmpty();
    }

    @Test
    void inlineTablesAndDottedKeys() {
        Policy p = load("network = { tcp_connect = [80] }\nlimits.memory = \"1G\"\nenv = { X = \"y\" }\n");
        assertThat(p.tcpConnect()).containsExactly(80);
        assertThat(p.limits().memoryBytes()).isEqualTo(1L << 30);
        assertThat(p.environment()).containsExactly(java.util.Map.entry("X", "y"));
    }

    @Test
    void errorsPointAtTheLineOfTheElementOrKey() {
        Path f = file("""
                read = [
                    "/usr",
                    "/etc",
                    42,
                ]
                """);
        assertThatThrownBy(() -> PolicyFiles.load(f.toString()))
                .hasMessage(f + ":1: read: expected an array of strings, found an integer 42");
        Path g = file("""
                syscalls = \"""
                read = [1]
                \"""
                [limits]
                # memory
                memory = -1
                """);
        assertThatThrownBy(() -> PolicyFiles.load(g.toString()))
                .hasMessage(g + ":6: memory: expected a size such as \"256M\" (or a number of bytes), got an integer -1");
        Path h = file("[env]\nHOME = \"$inherit\"\nNOT_SET_ANYWHERE_XYZ = \"$inherit\"\n");
        assertThatThrownBy(() -> PolicyFiles.load(h.toString()))
                .hasMessage(h + ":3: env.NOT_SET_ANYWHERE_XYZ: $inherit: NOT_SET_ANYWHERE_XYZ is not set in Cordon's environment");
        Path i = file("cwd = \"/no/such/dir\"\n");
        assertThatThrownBy(() -> PolicyFiles.load(i.toString())).hasMessage(i + ":1: cwd: /no/such/dir: no such directory");
        Path j = file("[network]\ntcp_connect = 80\n");
        assertThatThrownBy(() -> PolicyFiles.load(j.toString()))
                .hasMessage(j + ":2: tcp_connect: expected an array of TCP ports, got an integer");
        Path k = file("limits = 3\n");
        assertThatThrownBy(() -> PolicyFiles.load(k.toString())).hasMessage(k + ":1: limits: expected a table ([limits]), got an integer");
        Path l = file("[limits]\nmemroy = \"1G\"\n");
        assertThatThrownBy(() -> PolicyFiles.load(l.toString()))
                .hasMessage(l + ":2: unknown key \"limits.memroy\"; did you mean \"memory\"?");
        Path m = file("frobnicate = 1\n");
        assertThatThrownBy(() -> PolicyFiles.load(m.toString())).hasMessageStartingWith(m + ":1: unknown key \"frobnicate\" (known keys: ");
    }

    @Test
    void includesResolveAgainstTheIncludingFileAndTheIncluderWins() {
        Path dir = TestKit.newDir("inc");
        Path sub = dir.resolve("sub");
        sub.toFile().mkdirs();
        TestKit.file(sub, "base.toml", "read = [\"/usr\"]\n[limits]\nmemory = \"1G\"\ncpu_time = \"3s\"\n[env]\nX = \"base\"\n");
        TestKit.file(dir, "top.toml", "include = [\"sub/base.toml\", \"profile:shell\"]\nread = [\"/etc\"]\n"
                + "[limits]\nmemory = \"2G\"\n[env]\nX = \"top\"\n");
        PolicySpec spec = PolicyFiles.load(dir.resolve("top.toml").toString());
        Policy p = spec.toPolicy();
        assertThat(p.paths()).contains(new PathRule(Path.of("/usr"), Access.READ), new PathRule(Path.of("/etc"), Access.READ));
        assertThat(p.limits().memoryBytes()).isEqualTo(2L << 30);
        assertThat(p.limits().cpuTime()).isEqualTo(Duration.ofSeconds(3));
        assertThat(p.environment()).containsEntry("X", "top").containsEntry("PATH", "/usr/bin:/bin");
        assertThat(spec.sources()).containsExactly(dir.resolve("sub/base.toml").toString(), "profile:shell",
                dir.resolve("top.toml").toString());
    }

    @Test
    void aDiamondIsNotACycle() {
        Path dir = TestKit.newDir("diamond");
        TestKit.file(dir, "common.toml", "read = [\"/usr\"]\n");
        TestKit.file(dir, "a.toml", "include = [\"common.toml\"]\n");
        TestKit.file(dir, "b.toml", "include = [\"common.toml\"]\n");
        TestKit.file(dir, "top.toml", "include = [\"a.toml\", \"b.toml\"]\n");
        assertThat(PolicyFiles.load(dir.resolve("top.toml").toString()).toPolicy().paths())
                .contains(new PathRule(Path.of("/usr"), Access.READ));
        Path self = TestKit.file(dir, "self.toml", "include = [\"self.toml\"]\n");
        assertThatThrownBy(() -> PolicyFiles.load(self.toString()))
                .hasMessage(self + ":1: include: a cycle: " + self + " includes " + self);
    }

    @Test
    void laterFilesAndProfilesCombineLikeIncludes() {
        Path a = file("[limits]\nmemory = \"1G\"\nwall_time = \"5s\"\n[env]\nX = \"a\"\n");
        Path b = file("[limits]\nmemory = \"3G\"\n[env]\nY = \"b\"\n");
        Policy p = PolicyFiles.load(List.of("python3"), List.of(a.toString(), b.toString())).toPolicy();
        assertThat(p.limits().memoryBytes()).isEqualTo(3L << 30);
        assertThat(p.limits().wallTime()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.environment()).containsEntry("X", "a").containsEntry("Y", "b").containsEntry("LANG", "C.UTF-8");
    }

    @Test
    void profilesAreReadFromTheJar() {
        assertThat(Profiles.text("compute")).contains("--compute-only").contains("include = [\"profile:c-run\"]");
        assertThat(Profiles.description("gcc")).contains("--write OUTDIR");
        assertThatThrownBy(() -> Profiles.text("../java")).hasMessageStartingWith("no profile named \"../java\"");
    }

    @Test
    void keyLinesSkipMultiLineStringsAndArrays() {
        KeyLines k = new KeyLines("""
                a = 1
                s = '''
                b = 2
                '''
                arr = [
                  "x = y",
                  "z",
                ]
                [t]
                c = 3
                [t.u]
                "d.e" = 4
                """);
        assertThat(k.line("a")).isEqualTo(1);
        assertThat(k.line("s")).isEqualTo(2);
        assertThat(k.line("b")).isZero();
        assertThat(k.line("arr")).isEqualTo(5);
        assertThat(k.element("arr", "z")).isEqualTo(7);
        assertThat(k.line("t.c")).isEqualTo(10);
        assertThat(k.line("t.u.d.e")).isEqualTo(12);
        assertThat(k.line("t.missing")).isEqualTo(9);
    }
}
