package dev.cordon.cli;

import dev.cordon.internal.policy.PolicyFiles;
import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.cordon.cli.PolicyFileCliTest.cordon;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cordon learn} on real programs, the round trip of issue #9: learn, run again under the learned policy
 * with the same result, then a variant that touches one more file is denied and the denial reported. Runs as
 * root (the program as uid 65534) and, in the unprivileged pass, as uid 65534 itself.
 */
class LearnCliTest {
    /** World-readable, outside every learned policy: reading it natively works, so a refusal is the policy's. */
    static Path secret;

    @BeforeAll
    static void setUp() {
        secret = TestKit.file(TestKit.newDir("learn-outside"), "secret.txt", "secret\n");
        assertThat(TestKit.nativeRun(List.of("cat", secret.toString()), true).stdout()).isEqualTo("secret\n");
    }

    /** Learns {@code command} in {@code dir} and returns the policy file, checked to load. */
    static Path learn(Path dir, List<String> options, String... command) {
        Path policy = dir.resolve("learned.toml");
        List<String> args = new ArrayList<>(List.of("learn", "--cwd", dir.toString(), "-o", policy.toString()));
        args.addAll(options);
        args.add("--");
        args.addAll(List.of(command));
        Ran r = cordon(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).contains("cordon learn: ").contains("policy written to " + policy);
        assertThat(PolicyFiles.load(policy.toString()).toPolicy().paths()).isNotEmpty();
        return policy;
    }

    static Ran rerun(Path policy, String... command) {
        List<String> args = new ArrayList<>(List.of("run", "--policy", policy.toString(), "--"));
        args.addAll(List.of(command));
        return cordon(args.toArray(String[]::new));
    }

    static Path outDir(Path dir) {
        try {
            return Files.createDirectories(dir.resolve("out"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The variant: refused by the learned policy, and the refusal reported by Cordon on stderr. */
    static void deniedAndReported(Ran r) {
        assertThat(r.stderr()).contains("Permission denied");
        assertThat(r.stderr()).contains("cordon: denied openat(").contains(secret.toString());
    }

    @Test
    void pythonScriptReadingDataAndWritingAResult() throws Exception {
        Path dir = TestKit.newDir("learn-python");
        TestKit.file(dir, "data.txt", "hello world\n");
        TestKit.file(dir, "upper.py", """
                import sys
                text = open(sys.argv[1]).read()
                for extra in sys.argv[3:]:
                    text += open(extra).read()
                with open(sys.argv[2], "w") as f:
                    f.write(text.upper())
                print("wrote", len(text))
                """);
        Path out = outDir(dir);
        TestKit.nativeRun(List.of("chmod", "777", out.toString()), false);
        Path policy = learn(dir, List.of("--base", "python3", "--write", out.toString()),
                "python3", "upper.py", "data.txt", "out/result.txt");
        assertThat(Files.readString(out.resolve("result.txt"))).isEqualTo("HELLO WORLD\n");
        String text = Files.readString(policy);
        assertThat(text).contains("\"" + dir.resolve("data.txt") + "\"").contains("write = [\n    \"" + out + "\"")
                .contains("allow ").contains("default errno EPERM").contains("[limits]");
        assertThat(text).doesNotContain(secret.toString());

        Files.delete(out.resolve("result.txt"));
        Ran again = rerun(policy, "python3", "upper.py", "data.txt", "out/result.txt");
        assertThat(again.exit()).as(again.stderr()).isZero();
        assertThat(again.stdout()).isEqualTo("wrote 12\n");
        assertThat(Files.readString(out.resolve("result.txt"))).isEqualTo("HELLO WORLD\n");

        Ran variant = rerun(policy, "python3", "upper.py", "data.txt", "out/result.txt", secret.toString());
        deniedAndReported(variant);
        assertThat(variant.exit()).isEqualTo(1);
        assertThat(variant.stderr()).contains("PermissionError");
    }

    @Test
    void gccCompileAndRun() throws Exception {
        Path dir = TestKit.newDir("learn-gcc");
        TestKit.file(dir, "hello.c", """
                #include <stdio.h>
                int main(int argc, char **argv) {
                    printf("hello %d\\n", 6 * 7);
                    for (int i = 1; i < argc; i++) {
                        FILE *f = fopen(argv[i], "r");
                        if (!f) { perror(argv[i]); return 3; }
                        fclose(f);
                    }
                    return 0;
                }
                """);
        Path out = outDir(dir);
        TestKit.nativeRun(List.of("chmod", "777", out.toString()), false);
        String build = "gcc -o out/hello hello.c && out/hello";
        Path policy = learn(dir, List.of("--base", "gcc", "--write", out.toString(), "--env", "TMPDIR=" + out),
                "sh", "-c", build);
        String text = Files.readString(policy);
        // The program gcc wrote and the shell ran: the output directory may execute (the file may not exist yet).
        assertThat(text).contains("exec = [").contains("    \"" + out + "\",\n").contains("vfork").contains("wait4");

        Files.delete(out.resolve("hello"));
        Ran again = rerun(policy, "sh", "-c", build);
        assertThat(again.exit()).as(again.stderr()).isZero();
        assertThat(again.stdout()).isEqualTo("hello 42\n");

        Ran variant = rerun(policy, "sh", "-c", build + " " + secret);
        assertThat(variant.exit()).isEqualTo(3);
        deniedAndReported(variant);
        assertThat(variant.stdout()).isEqualTo("hello 42\n");
    }

    @Test
    void shellPipeline() throws Exception {
        Path dir = TestKit.newDir("learn-shell");
        TestKit.file(dir, "data.txt", "pear\napple\nfig\n");
        Path out = outDir(dir);
        TestKit.nativeRun(List.of("chmod", "777", out.toString()), false);
        String pipeline = "cat data.txt | tr a-z A-Z | sort > out/sorted.txt && wc -l < out/sorted.txt";
        Path policy = learn(dir, List.of("--base", "shell", "--write", out.toString()), "sh", "-c", pipeline);
        assertThat(Files.readString(out.resolve("sorted.txt"))).isEqualTo("APPLE\nFIG\nPEAR\n");

        Files.delete(out.resolve("sorted.txt"));
        Ran again = rerun(policy, "sh", "-c", pipeline);
        assertThat(again.exit()).as(again.stderr()).isZero();
        assertThat(again.stdout()).isEqualTo("3\n");
        assertThat(Files.readString(out.resolve("sorted.txt"))).isEqualTo("APPLE\nFIG\nPEAR\n");

        // A pipeline's status is its last command's: cat's refusal shows on stderr, its own and Cordon's.
        Ran variant = rerun(policy, "sh", "-c", pipeline.replace("cat data.txt", "cat data.txt " + secret));
        deniedAndReported(variant);
        assertThat(variant.stderr()).contains("cat: " + secret + ": Permission denied");
    }

    /** A JVM: many threads, /proc and cgroup reads; the learned file lists what it cannot grant, and still works. */
    @Test
    void aJvmLearnsAndRunsAgain() throws Exception {
        Path java = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
        Path dir = TestKit.newDir("learn-java");
        Path policy = learn(dir, List.of("--base", "java"), java.toString(), "-version");
        String text = Files.readString(policy);
        assertThat(text).contains("\"" + java + "\"").contains("/proc/self/").contains("clone");
        assertThat(text).doesNotContainPattern("\n    \"/proc/self");
        Ran again = rerun(policy, java.toString(), "-version");
        assertThat(again.exit()).as(again.stderr()).isZero();
        assertThat(again.stderr()).contains("OpenJDK");
    }

    @Test
    void writesOutsideTheWriteDirectoriesAreRefusedReportedAndNotLearned() throws Exception {
        Path dir = TestKit.newDir("learn-refused");
        Path elsewhere = TestKit.newDir("learn-elsewhere");
        Path policy = dir.resolve("learned.toml");
        Ran r = cordon("learn", "--base", "shell", "-o", policy.toString(), "--", "sh", "-c",
                "echo x > " + elsewhere.resolve("f.txt") + "; echo done");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("done\n");
        assertThat(r.stderr()).contains("cordon: denied openat(").contains(elsewhere.resolve("f.txt").toString());
        assertThat(Files.exists(elsewhere.resolve("f.txt"))).isFalse();
        assertThat(Files.readString(policy)).doesNotContain("write = [");
    }

    @Test
    void onlyThePortsUsedAreLearned() throws Exception {
        Path dir = TestKit.newDir("learn-net");
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            int unused = port == 65535 ? 65534 : port + 1;
            Thread.ofVirtual().start(() -> {
                try (java.net.Socket s = server.accept()) {
                    s.getOutputStream().write("hi\n".getBytes());
                } catch (java.io.IOException ignored) {
                    // The test fails on the client's side.
                }
            });
            Path policy = dir.resolve("learned.toml");
            Ran r = cordon("learn", "--base", "python3", "--tcp-connect", Integer.toString(port), "--tcp-connect",
                    Integer.toString(unused), "-o", policy.toString(), "--", "python3", "-c",
                    "import socket; s = socket.create_connection(('127.0.0.1', " + port + ")); print(s.recv(9).decode(), end='')");
            assertThat(r.exit()).as(r.stderr()).isZero();
            assertThat(r.stdout()).isEqualTo("hi\n");
            assertThat(Files.readString(policy)).contains("[network]\ntcp_connect = [" + port + "]\n")
                    .contains("socket").contains("connect");
        }
    }

    @Test
    void badInputIsOneLineAndExitTwo() {
        Path dir = TestKit.newDir("learn-bad");
        oneLine(cordon("learn"), "cordon: no program given (see 'cordon learn --help')");
        oneLine(cordon("learn", "--base", "cobol", "--", "true"), "cordon: no profile named \"cobol\"");
        oneLine(cordon("learn", "-o", "/nonexistent/dir/p.toml", "--", "true"),
                "cordon: -o /nonexistent/dir/p.toml: no such directory");
        oneLine(cordon("learn", "-o", dir.toString(), "--", "true"), "cordon: -o " + dir + ": is a directory");
        oneLine(cordon("learn", "--collapse", "1", "--", "true"), "cordon: --collapse 1: must be 2 or more");
        oneLine(cordon("learn", "--margin", "0.5", "--", "true"), "cordon: --margin 0.5: not a factor");
        if (!TestKit.ROOT) {
            Path locked = TestKit.newDir("learn-locked");
            TestKit.nativeRun(List.of("chmod", "555", locked.toString()), false);
            oneLine(cordon("learn", "-o", locked.resolve("p.toml").toString(), "--", "true"),
                    "cordon: -o " + locked.resolve("p.toml") + ": not writable");
        }
    }

    private static void oneLine(Ran r, String start) {
        assertThat(r.exit()).as(r.stderr()).isEqualTo(2);
        assertThat(r.stderr()).startsWith(start).endsWith("\n");
        assertThat(r.stderr().lines().count()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void helpDescribesLearn() {
        Ran r = cordon("learn", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.stdout()).contains("--base", "--write", "--collapse", "--margin", "-o, --output");
    }
}
