package dev.cordon.internal.policy;

import dev.cordon.Policy;
import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every shipped profile, loaded from the jar's resources, runs its real program, and refuses a representative
 * forbidden action that the same user can do without the sandbox.
 */
class ProfilesTest {
    static final Path JDK = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
    static Path dir;
    /** World-readable, outside every profile: reading it natively works, so a refusal comes from the sandbox. */
    static Path secret;
    static Path tool;

    @BeforeAll
    static void setUp() {
        dir = TestKit.newDir("profiles");
        secret = TestKit.file(dir, "secret.txt", "secret\n");
        tool = TestKit.compile("tool", TestKit.resource("policy/tool.c"));
        assertThat(TestKit.nativeRun(List.of("cat", secret.toString()), true).stdout()).isEqualTo("secret\n");
    }

    static Policy.Builder profile(String name) {
        return PolicyFiles.load(List.of(name), List.of()).applyTo(Policy.builder());
    }

    static Ran run(Policy.Builder b, String... command) {
        return TestKit.run(b.build(), List.of(command));
    }

    // --- compute, c-run, cpp-run

    @Test
    void computeRunsACompiledProgram() {
        Ran r = run(profile("compute").execute(tool.toString()), tool.toString(), "compute");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("computed 2999998\n");
        assertThat(PolicyFiles.load("profile:compute").limits().cpuTime()).isNotNull();
        // The compute-only syscall set is in force, as with --compute-only.
        assertThat(r.result().layers()).anyMatch(l -> l.startsWith("syscall policy") && l.contains("default errno EPERM"));
    }

    @Test
    void computeRefusesFilesAndNetwork() {
        Policy.Builder b = profile("compute").execute(tool.toString());
        assertThat(run(b, tool.toString(), "read", secret.toString()).stdout()).isEqualTo("EACCES\n");
        assertThat(run(profile("compute").execute(tool.toString()), tool.toString(), "socket").stdout())
                .isEqualTo("EACCES\n");
    }

    @Test
    void cRunRunsACompiledProgram() {
        Ran r = run(profile("c-run").execute(tool.toString()), tool.toString(), "compute");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("computed 2999998\n");
    }

    @Test
    void cRunRefusesReadingOutsideAndWriting() {
        assertThat(TestKit.nativeRun(List.of(tool.toString(), "read", secret.toString()), true).stdout()).isEqualTo("OK\n");
        assertThat(run(profile("c-run").execute(tool.toString()), tool.toString(), "read", secret.toString()).stdout())
                .isEqualTo("EACCES\n");
        assertThat(run(profile("c-run").execute(tool.toString()), tool.toString(), "write",
                dir.resolve("new.txt").toString()).stdout()).isEqualTo("EACCES\n");
        assertThat(dir.resolve("new.txt")).doesNotExist();
    }

    static Path cpp() {
        assumeTrue(TestKit.nativeRun(List.of("sh", "-c", "command -v g++"), false).exit() == 0, "g++ is not installed");
        Path d = TestKit.newDir("cpp");
        Path src = TestKit.file(d, "tool.cpp", TestKit.resource("policy/tool.cpp"));
        Path out = d.resolve("tool");
        Ran c = TestKit.nativeRun(List.of("g++", "-O1", "-o", out.toString(), src.toString()), false);
        assertThat(c.exit()).as(c.stderr()).isZero();
        return out;
    }

    @Test
    void cppRunRunsACppProgramWithItsStandardLibrary() {
        Path prog = cpp();
        Ran r = run(profile("cpp-run").execute(prog.toString()), prog.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("sum 5050\n");
    }

    @Test
    void cppRunRefusesReadingOutside() {
        Path prog = cpp();
        Ran r = run(profile("cpp-run").execute(prog.toString()), prog.toString(), "read", secret.toString());
        assertThat(r.stdout()).isEqualTo("FAILED\n");
        assertThat(r.exit()).isEqualTo(1);
    }

    // --- python3

    @Test
    void python3RunsAScriptWithTheStandardLibrary() {
        Path script = TestKit.file(dir, "script.py", "import json, re, collections\nprint(json.dumps({'n': sum(range(10))}))\n");
        Ran r = run(profile("python3").read(script.toString()), "python3", script.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("{\"n\": 45}\n");
        Ran c = run(profile("python3"), "python3", "-c", "print(6 * 7)");
        assertThat(c.stdout()).isEqualTo("42\n");
    }

    @Test
    void python3RefusesFilesSocketsAndWrites() {
        Ran read = run(profile("python3"), "python3", "-c", "open('" + secret + "').read()");
        assertThat(read.exit()).isEqualTo(1);
        assertThat(read.stderr()).contains("PermissionError");
        Ran sock = run(profile("python3"), "python3", "-c", "import socket; socket.create_connection(('127.0.0.1', 80))");
        assertThat(sock.exit()).isEqualTo(1);
        assertThat(sock.stderr()).contains("PermissionError");
        Ran write = run(profile("python3"), "python3", "-c", "open('" + dir.resolve("py.txt") + "', 'w')");
        assertThat(write.stderr()).contains("PermissionError");
        assertThat(dir.resolve("py.txt")).doesNotExist();
    }

    // --- java, javac

    static Path javaClasses() {
        assumeTrue(Files.isExecutable(JDK.resolve("bin/java")), "no JDK at " + JDK);
        Path d = TestKit.newDir("java");
        Path src = TestKit.file(d, "Hello.java", TestKit.resource("policy/Hello.java"));
        Ran c = TestKit.nativeRun(List.of(JDK.resolve("bin/javac").toString(), "-d", d.toString(), src.toString()), false);
        assertThat(c.exit()).as(c.stderr()).isZero();
        TestKit.nativeRun(List.of("chmod", "-R", "a+rX", d.toString()), false);
        return d;
    }

    @Test
    void javaRunsAClass() {
        Path classes = javaClasses();
        Ran r = run(profile("java").read(classes.toString()), JDK.resolve("bin/java").toString(), "-cp",
                classes.toString(), "Hello");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("hello from java 25\n");
        Ran v = run(profile("java"), JDK.resolve("bin/java").toString(), "-version");
        assertThat(v.exit()).as(v.stderr()).isZero();
        assertThat(v.stderr()).contains("OpenJDK");
    }

    /** As an ordinary user there is no cgroup: the memory limit falls back to RLIMIT_DATA, and the JVM must still start. */
    @Test
    void javaStartsUnderAMemoryLimitWithOrWithoutACgroup() {
        Path classes = javaClasses();
        Policy.Builder b = profile("java").read(classes.toString());
        b.limits(b.build().limits().withMemory(256L << 20));
        Ran r = run(b, JDK.resolve("bin/java").toString(), "-cp", classes.toString(), "Hello");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("hello from java 25\n");
        assertThat(b.build().limits().memoryBytes()).isEqualTo(256L << 20);
        if (!TestKit.ROOT) assertThat(r.result().layers()).anyMatch(l -> l.contains("RLIMIT_DATA"));
    }

    @Test
    void javaRefusesReadingOutside() {
        Path classes = javaClasses();
        Ran r = run(profile("java").read(classes.toString()), JDK.resolve("bin/java").toString(), "-cp",
                classes.toString(), "Hello", secret.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("hello from java 25\nDENIED AccessDeniedException\n");
    }

    @Test
    void javacCompilesIntoTheOutputDirectoryOnly() {
        assumeTrue(Files.isExecutable(JDK.resolve("bin/javac")), "no JDK at " + JDK);
        Path src = TestKit.file(TestKit.newDir("javac-src"), "Hello.java", TestKit.resource("policy/Hello.java"));
        Path out = TestKit.newDir("javac-out");
        Path elsewhere = TestKit.newDir("javac-elsewhere");
        String javac = JDK.resolve("bin/javac").toString();
        Ran ok = run(profile("javac").read(src.toString()).write(out.toString()), javac, "-d", out.toString(), src.toString());
        assertThat(ok.exit()).as(ok.stderr()).isZero();
        assertThat(out.resolve("Hello.class")).exists();
        Ran denied = run(profile("javac").read(src.toString()).write(out.toString()), javac, "-d", elsewhere.toString(),
                src.toString());
        assertThat(denied.exit()).isNotZero();
        assertThat(denied.stderr()).contains("error while writing Hello");
        assertThat(elsewhere.resolve("Hello.class")).doesNotExist();
    }

    // --- gcc

    @Test
    void gccCompilesIntoTheOutputDirectoryAndTheResultRunsUnderCRun() {
        Path src = TestKit.file(TestKit.newDir("gcc-src"), "tool.c", TestKit.resource("policy/tool.c"));
        Path out = TestKit.newDir("gcc-out");
        Ran r = run(profile("gcc").read(src.toString()).write(out.toString()).env("TMPDIR", out.toString()),
                "gcc", "-O1", "-o", out.resolve("tool").toString(), src.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        Path built = out.resolve("tool");
        Ran ran = run(profile("c-run").execute(built.toString()), built.toString(), "compute");
        assertThat(ran.stdout()).isEqualTo("computed 2999998\n");
    }

    @Test
    void gccCannotWriteOutsideTheOutputDirectory() {
        Path src = TestKit.file(TestKit.newDir("gcc-src"), "tool.c", TestKit.resource("policy/tool.c"));
        Path out = TestKit.newDir("gcc-out");
        Path elsewhere = TestKit.newDir("gcc-elsewhere");
        Ran r = run(profile("gcc").read(src.toString()).write(out.toString()).env("TMPDIR", out.toString()),
                "gcc", "-o", elsewhere.resolve("tool").toString(), src.toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("Permission denied");
        assertThat(elsewhere.resolve("tool")).doesNotExist();
    }

    // --- shell

    @Test
    void shellRunsAPipelineWithCoreutils() {
        Ran r = run(profile("shell"), "sh", "-c", "echo 'b a c a' | tr ' ' '\\n' | sort | uniq -c | wc -l; ls /usr/bin >/dev/null && echo listed");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("3\nlisted\n");
    }

    @Test
    void shellRefusesReadingOutsideWritingAndNetwork() {
        Ran r = run(profile("shell"), "sh", "-c", "cat " + secret + "; echo x > " + dir.resolve("sh.txt"));
        assertThat(r.stderr()).contains("cat: " + secret + ": Permission denied").contains("Permission denied");
        assertThat(r.stdout()).isEmpty();
        assertThat(dir.resolve("sh.txt")).doesNotExist();
        Ran net = run(profile("shell").execute(tool.toString()), tool.toString(), "socket");
        assertThat(net.stdout()).isEqualTo("EACCES\n");
    }

    @Test
    void everyProfileHasADescriptionAndLoads() {
        List<String> missing = new ArrayList<>();
        for (String name : Profiles.NAMES) {
            if (Profiles.description(name).isBlank()) missing.add(name);
            assertThat(PolicyFiles.load("profile:" + name).toPolicy().network()).as(name).isFalse();
        }
        assertThat(missing).isEmpty();
    }
}
