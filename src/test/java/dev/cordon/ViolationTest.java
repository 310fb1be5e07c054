package dev.cordon;

import dev.cordon.cli.CliTest;
import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** Every refused call is explained: a line for people, a JSON event for programs, the rule in words. */
class ViolationTest {
    @Test
    void deniedSocketIsReportedWithTheRule() throws Exception {
        List<Violation> seen = new CopyOnWriteArrayList<>();
        try (SandboxProcess p = new SandboxBuilder(Policy.builder().execute(TestKit.probe().toString()).build(),
                TestKit.probe().toString(), "socket", "inet", "dgram").onViolation(seen::add).start()) {
            String out = new String(p.stdout().readAllBytes());
            RunResult r = p.waitFor();
            assertThat(out).isEqualTo("EACCES\n");
            assertThat(seen).hasSize(1);
            Violation v = seen.getFirst();
            assertThat(v.pid()).isEqualTo(p.pid());
            assertThat(v.process()).isEqualTo("probe");
            assertThat(v.describe()).isEqualTo("denied socket(AF_INET, SOCK_DGRAM, 0) by pid " + p.pid()
                    + " (probe): network: no network access is allowed");
            assertThat(r.violations()).containsExactly(v);
            assertThat(r.violationCount()).isEqualTo(1);
            // A refused call is reported, but it does not make the verdict: the program's exit code does.
            assertThat(r.verdict()).isEqualTo(Verdict.RUNTIME_ERROR);
        }
    }

    @Test
    void deniedEscapeCallsAreNamed() {
        List<Violation> seen = new CopyOnWriteArrayList<>();
        String clone = Integer.toString(dev.cordon.internal.syscalls.Arch.current().require("clone"));
        try (SandboxProcess p = new SandboxBuilder(Policy.builder().execute(TestKit.probe().toString()).build(),
                TestKit.probe().toString(), "syscall", clone, Long.toString(0x10000000L | 17))
                .onViolation(seen::add).start()) {
            p.waitFor();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertThat(seen).singleElement().satisfies(v -> {
            assertThat(v.call()).isEqualTo("clone(flags=CLONE_NEWUSER|SIGCHLD)");
            assertThat(v.reason()).isEqualTo("namespaces cannot be created or joined");
            assertThat(v.action()).isEqualTo("EPERM");
        });
    }

    @Test
    void auditLevelNoneReportsNothingButStillDenies() throws Exception {
        List<Violation> seen = new CopyOnWriteArrayList<>();
        Ran r;
        try (SandboxProcess p = new SandboxBuilder(Policy.builder().execute(TestKit.probe().toString())
                .audit(AuditLevel.NONE).build(), TestKit.probe().toString(), "socket", "inet", "dgram")
                .onViolation(seen::add).start()) {
            String out = new String(p.stdout().readAllBytes());
            RunResult result = p.waitFor();
            r = new Ran(result.exitStatus(), out, "", result);
        }
        assertThat(r.stdout()).isEqualTo("EACCES\n");
        assertThat(seen).isEmpty();
        assertThat(r.result().violationCount()).isZero();
    }

    @Test
    void cliPrintsTheLineAndWritesTheJsonEvent() throws Exception {
        Path log = TestKit.newDir("log").resolve("events.jsonl");
        List<String> args = new ArrayList<>(List.of("run", "--exec", TestKit.probe().toString(), "--log", log.toString(),
                "--", TestKit.probe().toString(), "socket", "inet", "dgram"));
        Ran r = CliTest.cordonRun(args);
        assertThat(r.stdout()).isEqualTo("EACCES\n");
        String line = r.stderr().lines().findFirst().orElseThrow();
        assertThat(line).matches("cordon: denied socket\\(AF_INET, SOCK_DGRAM, 0\\) by pid \\d+ \\(probe\\): "
                + "network: no network access is allowed");
        String pid = line.replaceAll(".* by pid (\\d+) .*", "$1");
        String event = Files.readString(log).strip();
        assertThat(event).matches("\\{\"event\":\"denied\",\"time\":\"[^\"]+\",\"pid\":" + pid
                + ",\"process\":\"probe\",\"syscall\":\"socket\",\"call\":\"socket\\(AF_INET, SOCK_DGRAM, 0\\)\","
                + "\"reason\":\"network: no network access is allowed\",\"action\":\"EACCES\"}");
    }

    /** Runs the probe through the CLI with a JSON log; returns the stderr lines and the log's lines. */
    private static List<List<String>> cli(List<String> options, String... probeArgs) throws Exception {
        Path log = TestKit.newDir("log").resolve("events.jsonl");
        List<String> args = new ArrayList<>(List.of("run", "--exec", TestKit.probe().toString(), "--log", log.toString()));
        args.addAll(options);
        args.add("--");
        args.add(TestKit.probe().toString());
        args.addAll(List.of(probeArgs));
        Ran r = CliTest.cordonRun(args);
        return List.of(r.stderr().lines().filter(l -> l.startsWith("cordon: denied")).toList(),
                Files.readAllLines(log), List.of(r.stdout()));
    }

    private static void assertEvent(List<List<String>> out, String syscall, String call, String reason, String action)
            throws Exception {
        assertThat(out.get(0)).hasSize(1);
        String line = out.get(0).getFirst();
        String pid = line.replaceAll(".* by pid (\\d+) .*", "$1");
        assertThat(line).isEqualTo("cordon: denied " + call + " by pid " + pid + " (probe): " + reason);
        assertThat(out.get(1)).hasSize(1);
        java.util.Map<String, String> event = new java.util.LinkedHashMap<>();
        try (var p = new com.fasterxml.jackson.core.JsonFactory().createParser(out.get(1).getFirst())) {
            p.nextToken();
            while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                event.put(name, p.getText());
            }
        }
        assertThat(event.keySet()).containsExactly("event", "time", "pid", "process", "syscall", "call", "reason", "action");
        assertThat(event).containsEntry("event", "denied").containsEntry("pid", pid).containsEntry("process", "probe")
                .containsEntry("syscall", syscall).containsEntry("call", call).containsEntry("reason", reason)
                .containsEntry("action", action);
        assertThat(java.time.Instant.parse(event.get("time"))).isBefore(java.time.Instant.now());
    }

    @Test
    void deniedOpenIsExplainedAtAuditLevelAll() throws Exception {
        Path dir = TestKit.newDir("secret");
        Path secret = TestKit.file(dir, "secret.txt", "x");
        var out = cli(List.of("--audit", "all"), "read", secret.toString());
        assertThat(out.get(2).getFirst()).isEqualTo("EACCES\n");
        assertEvent(out, "openat", "openat(AT_FDCWD, \"" + secret + "\", O_RDONLY)", "not in read rules", "EACCES");
    }

    /** A missing file is ENOENT at every audit level, as Landlock leaves it: compilers stop on EACCES from a probe. */
    @Test
    void openingAMissingFileIsNotRefusedAtAuditLevelAll() throws Exception {
        Path missing = TestKit.newDir("missing").resolve("nothing-here.h");
        var out = cli(List.of("--audit", "all"), "read", missing.toString());
        assertThat(out.get(2).getFirst()).isEqualTo("ENOENT\n");
        assertThat(out.get(0)).isEmpty();
    }

    @Test
    void deniedConnectIsExplained() throws Exception {
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            int port = listener.getLocalPort();
            int other = port == 65535 ? 65534 : port + 1;
            var out = cli(List.of("--tcp-connect", Integer.toString(other)), "connect", Integer.toString(port));
            assertThat(out.get(2).getFirst()).isEqualTo("EACCES\n");
            assertEvent(out, "connect", "connect(3, {AF_INET, 127.0.0.1:" + port + "}, 16)",
                    "network: TCP port " + port + " is not allowed for connect", "EACCES");
        }
    }

    /** A program found executable is remembered per run by its identity: changed, it is diagnosed again. */
    @Test
    void aProgramChangedAfterItRanIsDiagnosedAgain() throws Exception {
        String source = """
                #include <errno.h>
                #include <fcntl.h>
                #include <stdio.h>
                #include <string.h>
                #include <sys/wait.h>
                #include <unistd.h>
                static int run(const char *p) {
                    pid_t c = fork();
                    if (c == 0) {
                        execl(p, p, "noop", (char *) 0);
                        printf("%s\\n", errno == EACCES ? "EACCES" : strerror(errno));
                        fflush(stdout);
                        _exit(1);
                    }
                    int st;
                    waitpid(c, &st, 0);
                    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
                }
                static void put(const char *p, const char *data, long n) {
                    unlink(p);
                    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0755);
                    if (fd < 0 || write(fd, data, n) != n) { printf("write failed\\n"); _exit(2); }
                    close(fd);
                }
                static char self[4 << 20];
                int main(int argc, char **argv) {
                    if (argc > 1 && !strcmp(argv[1], "noop")) return 0;
                    int fd = open("/proc/self/exe", O_RDONLY);
                    long n = read(fd, self, sizeof self);
                    close(fd);
                    put(argv[1], self, n);
                    if (run(argv[1]) == 0) printf("ran\\n");
                    fflush(stdout);
                    put(argv[1], "#!/bin/sh\\n", 10);
                    run(argv[1]);
                    return 0;
                }
                """;
        Path driver = TestKit.compile("reexec", source, "-static");
        Path work = TestKit.newDir("reexec-work");
        Path program = work.resolve("prog");
        List<Violation> seen = new CopyOnWriteArrayList<>();
        try (SandboxProcess p = new SandboxBuilder(Policy.builder().execute(driver.toString())
                .execute(work.toString()).write(work.toString()).build(), driver.toString(), program.toString())
                .onViolation(seen::add).start()) {
            String out = new String(p.stdout().readAllBytes());
            p.waitFor();
            assertThat(out).isEqualTo("ran\nEACCES\n");
        }
        assertThat(seen).singleElement().satisfies(v -> assertThat(v.reason()).isEqualTo("executing " + program
                + ": its interpreter /bin/sh (from its #! line) is not under an execute rule"));
    }

    @Test
    void deniedExecveIsExplained() throws Exception {
        var out = cli(List.of(), "exec", "/usr/bin/true");
        assertThat(out.get(2).getFirst()).isEqualTo("EACCES\n");
        assertEvent(out, "execve", "execve(\"/usr/bin/true\")",
                "executing /usr/bin/true: it is not under an execute rule (--exec)", "EACCES");
    }
}
