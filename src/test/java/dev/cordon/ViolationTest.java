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
            assertThat(r.verdict()).isEqualTo(Verdict.POLICY_VIOLATION);
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
}
