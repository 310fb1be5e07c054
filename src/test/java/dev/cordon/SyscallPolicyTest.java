package dev.cordon;

import dev.cordon.internal.syscalls.Arch;
import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Syscall policies loaded for real: the seed's example, --compute-only, each built-in set with the programs it is for. */
class SyscallPolicyTest {
    private static final Path JDK = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");

    private static String nr(String name) {
        return Integer.toString(Arch.current().require(name));
    }

    /** Runs with {@code input} on stdin. */
    static Ran run(Policy policy, String input, String... command) {
        try (SandboxProcess p = new SandboxBuilder(policy, List.of(command)).start()) {
            try (OutputStream in = p.stdin()) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // The program may not read its input.
            }
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.stderr()));
            String out = read(p.stdout());
            RunResult r = p.waitFor();
            return new Ran(r.exitStatus(), out, err.get(60, TimeUnit.SECONDS), r);
        } catch (Exception e) {
            if (e instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e);
        }
    }

    private static String read(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final String ECHO_C = """
            #include <stdio.h>
            int main(void) {
                char line[256];
                if (!fgets(line, sizeof line, stdin)) return 3;
                printf("got %s", line);
                return 0;
            }
            """;

    private static Path echoStatic, echoDynamic, writer;

    private static synchronized Path echoStatic() {
        if (echoStatic == null) echoStatic = TestKit.compile("echo-static", ECHO_C, "-static");
        return echoStatic;
    }

    private static synchronized Path echoDynamic() {
        if (echoDynamic == null) echoDynamic = TestKit.compile("echo-dynamic", ECHO_C);
        return echoDynamic;
    }

    private static synchronized Path writer() {
        if (writer == null) writer = TestKit.compile("writer", TestKit.resource("c/writer.c"), "-static");
        return writer;
    }

    /** The example of seed 001: write only to fd 1 and at most 512 bytes; EBADF for any other fd. */
    static final String SEED_001 = """
            # seed 001: a compute-only program may write to stdout only, at most 512 bytes a call
            default errno EPERM
            allow @compute
            allow write if arg0 == 1 and arg2 <= 512
            errno EBADF write if arg0 != 1
            """;

    @Test
    void seed001WriteOnlyToStdoutAtMost512Bytes() {
        Policy.Builder p = Policy.builder().execute(writer().toString()).syscalls(SEED_001);
        Ran ok = run(p.build(), "", writer().toString(), "1", "100");
        assertThat(ok.stdout()).isEqualTo("x".repeat(100) + "\nOK\n");
        assertThat(ok.result().verdict()).isEqualTo(Verdict.OK);

        Ran fd2 = run(p.build(), "", writer().toString(), "2", "10");
        assertThat(fd2.stdout()).isEqualTo("\nEBADF\n");
        assertThat(fd2.stderr()).isEmpty();
        assertThat(fd2.result().violations()).singleElement().satisfies(v -> {
            assertThat(v.syscall()).isEqualTo("write");
            assertThat(v.reason()).isEqualTo("syscall policy line 5: errno EBADF write if arg0 != 1");
            assertThat(v.action()).isEqualTo("EBADF");
        });

        Ran big = run(p.build(), "", writer().toString(), "1", "1000");
        assertThat(big.stdout()).isEqualTo("\nEPERM\n");
        assertThat(big.result().violations()).singleElement().satisfies(v -> assertThat(v.reason())
                .isEqualTo("syscall policy line 2: default errno EPERM (no rule of write allows this call)"));

        // Audit none: the same errno (write is a call the launch needs, so the supervisor still decides it).
        Ran quiet = run(p.audit(AuditLevel.NONE).build(), "", writer().toString(), "2", "10");
        assertThat(quiet.stdout()).isEqualTo("\nEBADF\n");
    }

    private static Policy.Builder computeOnly() {
        return TestKit.system().computeOnly();
    }

    @Test
    void computeOnlyRunsStaticAndDynamicCAndPython() {
        Ran s = run(computeOnly().execute(echoStatic().toString()).build(), "abc\n", echoStatic().toString());
        assertThat(s.stdout()).isEqualTo("got abc\n");
        assertThat(s.result().verdict()).isEqualTo(Verdict.OK);
        Ran d = run(computeOnly().execute(echoDynamic().toString()).build(), "abc\n", echoDynamic().toString());
        assertThat(d.stdout()).isEqualTo("got abc\n");
        assertThat(d.result().verdict()).isEqualTo(Verdict.OK);
        Ran py = run(computeOnly().build(), "from stdin\n", "/usr/bin/python3", "-c", "print(input().upper())");
        assertThat(py.stdout()).isEqualTo("FROM STDIN\n");
        assertThat(py.exit()).isZero();
    }

    @Test
    void computeOnlyRefusesProcessesFileWritesExecAndNetwork() {
        Policy.Builder p = Policy.builder().computeOnly().write(TestKit.newDir("co").toString());
        Path dir = p.build().paths().getFirst().path();
        assertThat(TestKit.probe(p, "syscall", nr("clone"), "17").status()).isEqualTo("EPERM"); // fork-like clone
        if (Arch.current() == Arch.X86_64) {
            assertThat(TestKit.probe(p, "syscall", nr("fork")).status()).isEqualTo("EPERM");
            assertThat(TestKit.probe(p, "syscall", nr("vfork")).status()).isEqualTo("EPERM");
        }
        // Landlock would allow the write: the policy refuses it.
        assertThat(TestKit.probeNative("create", dir.resolve("native").toString()).status()).isEqualTo("OK");
        Ran create = TestKit.probe(p, "create", dir.resolve("f").toString());
        assertThat(create.status()).isEqualTo("EPERM");
        assertThat(create.result().violations()).singleElement().satisfies(v -> assertThat(v.reason())
                .isEqualTo("syscall policy --compute-only line 1: default errno EPERM (no rule of openat allows this call)"));
        assertThat(TestKit.probe(p, "socket", "inet", "stream").status()).isIn("EACCES", "EPERM");
        assertThat(TestKit.probe(p, "socketpair", "unix").status()).isEqualTo("EPERM");
        // The held first exec runs the probe; a second exec is refused.
        Ran exec = TestKit.probe(p, "exec", TestKit.probe().toString(), "ok");
        assertThat(exec.status()).isEqualTo("EPERM");
        assertThat(exec.result().violations()).singleElement().satisfies(v -> assertThat(v.syscall()).isEqualTo("execve"));
    }

    @Test
    void computeOnlyRunsJava() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(JDK.resolve("bin/java")), "no JDK 25 at " + JDK);
        Path dir = TestKit.newDir("java");
        Path src = TestKit.file(dir, "Hello.java", """
                public class Hello {
                    public static void main(String[] a) throws Exception {
                        var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
                        Thread t = new Thread(() -> System.out.println("thread"));
                        t.start();
                        t.join();
                        System.out.println("java got " + in.readLine());
                    }
                }
                """);
        Ran javac = TestKit.nativeRun(List.of(JDK.resolve("bin/javac").toString(), "-d", dir.toString(), src.toString()), false);
        assertThat(javac.exit()).as(javac.stderr()).isZero();
        Files.setPosixFilePermissions(dir.resolve("Hello.class"), PosixFilePermissions.fromString("rw-r--r--"));
        Policy.Builder p = computeOnly().execute(JDK.toString()).read("/proc", "/sys", dir.toString());
        Ran v = run(p.build(), "", JDK.resolve("bin/java").toString(), "-XX:-UsePerfData", "-version");
        assertThat(v.stderr()).contains("version \"25");
        assertThat(v.exit()).isZero();
        Ran hello = run(p.build(), "hi\n", JDK.resolve("bin/java").toString(), "-XX:-UsePerfData", "-cp", dir.toString(), "Hello");
        assertThat(hello.stdout()).isEqualTo("thread\njava got hi\n");
        assertThat(hello.exit()).isZero();
    }

    private static final String ONLY = "default errno EPERM\nallow @compute";

    @Test
    void fileIoSetRunsCoreutils() throws IOException {
        Path dir = TestKit.newDir("fio");
        TestKit.file(dir, "a", "data\n");
        Policy.Builder without = TestKit.system().write(dir.toString()).syscalls(ONLY);
        Ran refused = TestKit.run(without.build(), List.of("cp", dir.resolve("a").toString(), dir.resolve("b").toString()));
        assertThat(refused.exit()).isNotZero();
        Policy with = TestKit.system().write(dir.toString()).syscalls(ONLY + ", @file-io").build();
        assertThat(TestKit.run(with, List.of("cp", dir.resolve("a").toString(), dir.resolve("b").toString())).exit()).isZero();
        assertThat(TestKit.run(with, List.of("mkdir", dir.resolve("d").toString())).exit()).isZero();
        assertThat(TestKit.run(with, List.of("mv", dir.resolve("b").toString(), dir.resolve("d/c").toString())).exit()).isZero();
        assertThat(Files.readString(dir.resolve("d/c"))).isEqualTo("data\n");
        assertThat(TestKit.run(with, List.of("rm", "-r", dir.resolve("d").toString())).exit()).isZero();
        assertThat(dir.resolve("d")).doesNotExist();
    }

    @Test
    void processSetRunsAShellPipeline() {
        List<String> cmd = List.of("sh", "-c", "echo hi | tr a-z A-Z");
        Ran without = TestKit.run(TestKit.system().syscalls(ONLY + ", @file-io").build(), cmd);
        assertThat(without.exit()).isNotZero();
        assertThat(without.stderr()).contains("fork");
        Ran with = TestKit.run(TestKit.system().syscalls(ONLY + ", @file-io, @process").build(), cmd);
        assertThat(with.stdout()).isEqualTo("HI\n");
        assertThat(with.exit()).isZero();
    }

    @Test
    void networkSetRunsATcpClient() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            CompletableFuture<String> got = new CompletableFuture<>();
            // Its own thread: TestKit reads stderr on the common pool, which a blocked accept could starve.
            Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = server.accept()) {
                    got.complete(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    got.complete("accept failed: " + e);
                }
            });
            String client = "import socket\ns = socket.create_connection(('127.0.0.1', %d))\ns.sendall(b'over tcp')\ns.close()"
                    .formatted(port);
            Ran without = TestKit.run(TestKit.system().tcpConnect(port).syscalls(ONLY).build(),
                    List.of("/usr/bin/python3", "-c", client));
            assertThat(without.exit()).isNotZero();
            assertThat(without.stderr()).contains("PermissionError");
            Ran with = TestKit.run(TestKit.system().tcpConnect(port).syscalls(ONLY + ", @network").build(),
                    List.of("/usr/bin/python3", "-c", client));
            assertThat(with.exit()).as(with.stderr()).isZero();
            assertThat(got.get(30, TimeUnit.SECONDS)).isEqualTo("over tcp");
        }
    }

    @Test
    void defaultDenySetCanBeMadeStricter() {
        Ran killed = TestKit.probe(Policy.builder().syscalls("kill @default-deny"), "syscall", nr("ptrace"));
        assertThat(killed.result().termination()).isEqualTo(new Termination.Signaled(31));
        assertThat(killed.result().verdict()).isEqualTo(Verdict.POLICY_VIOLATION);
        assertThat(TestKit.probe(Policy.builder().syscalls("kill @default-deny"), "syscall", nr("getpid")).status())
                .isEqualTo("OK");
    }

    @Test
    void userRulesCannotWeakenTheMandatoryFilter() {
        Policy.Builder p = Policy.builder().syscalls("allow ptrace, socket, mount, unshare, clone, memfd_create\nallow @default-deny");
        assertThat(TestKit.probe(p, "syscall", nr("ptrace")).status()).isEqualTo("EPERM");
        assertThat(TestKit.probe(p, "syscall", nr("mount")).status()).isEqualTo("EPERM");
        assertThat(TestKit.probe(p, "socket", "inet", "stream").status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(p, "socket", "unix", "stream").status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(p, "syscall", nr("clone"), Long.toString(0x10000000L | 17)).status()).isEqualTo("EPERM");
        assertThat(TestKit.probe(p, "syscall", nr("unshare"), "0x10000000").status()).isEqualTo("EPERM");
    }

    @Test
    void killActionsOnCallsTheLaunchNeedsApplyToTheProgramOnly() {
        // The launch thread in the JVM and the spawned child before its exec make these calls: they must pass,
        // and the JVM must survive; the program itself is then killed for them.
        Policy.Builder p = Policy.builder().syscalls(
                "kill rt_sigaction, fcntl, close_range, chdir, dup2, dup3, munmap, madvise, exit, setsid");
        assertThat(TestKit.probe(p, "ok").status()).isEqualTo("OK");
        Ran dup = TestKit.probe(p, "syscall", nr("dup3"), "1", "5", "0");
        assertThat(dup.result().verdict()).isEqualTo(Verdict.POLICY_VIOLATION);
        assertThat(dup.stdout()).isEmpty();
        assertThat(dup.result().violations()).singleElement().satisfies(v -> assertThat(v.reason())
                .startsWith("syscall policy line 1: kill rt_sigaction"));
        // Errno on the same calls: refused for the program, with the reason.
        Ran errno = TestKit.probe(Policy.builder().syscalls("errno EMFILE dup3"), "syscall", nr("dup3"), "1", "5", "0");
        assertThat(errno.status()).isEqualTo("EMFILE");
    }

    @Test
    void killActionsStayInTheKernel() {
        Ran r = TestKit.probe(Policy.builder().syscalls("kill getppid"), "syscall", nr("getppid"));
        assertThat(r.result().termination()).isEqualTo(new Termination.Signaled(31));
        assertThat(r.result().verdict()).isEqualTo(Verdict.POLICY_VIOLATION);
        assertThat(r.result().violations()).isEmpty();
    }

    @Test
    void badPoliciesAreRefusedWithLineAndColumn() {
        assertThatThrownBy(() -> Policy.builder().syscalls("allow read\nallow write if arg0 1"))
                .isInstanceOf(PolicyException.class)
                .hasMessage("policy:2:21: expected a comparison operator after \"arg0\"");
        assertThatThrownBy(() -> Policy.builder().syscalls("allow opnat")).isInstanceOf(PolicyException.class)
                .hasMessageStartingWith("policy:1:7: unknown syscall \"opnat\"").hasMessageContaining("did you mean openat");
    }
}
