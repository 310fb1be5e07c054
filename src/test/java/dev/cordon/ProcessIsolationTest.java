package dev.cordon;

import dev.cordon.internal.sys.Sys;
import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the program inherits: credentials, descriptors, environment, session, signals. */
class ProcessIsolationTest {
    private static String field(String text, String name) {
        return text.lines().filter(l -> l.startsWith(name + ":")).map(l -> l.substring(name.length() + 1).trim())
                .findFirst().orElseThrow(() -> new AssertionError(name + " missing in:\n" + text));
    }

    @Test
    void credentialsAreDroppedAndNoCapabilityRemains() {
        Ran r = TestKit.probe(Policy.builder().read("/proc"), "creds");
        assertThat(r.status()).isEqualTo("OK");
        int uid = TestKit.SANDBOX_UID;
        int gid = TestKit.ROOT ? Policy.NOBODY : Sys.getegid();
        assertThat(r.data()).contains("uid=" + uid + " euid=" + uid + " gid=" + gid + " egid=" + gid);
        if (TestKit.ROOT) assertThat(r.data()).contains("groups=0");
        for (String set : List.of("CapInh", "CapPrm", "CapEff", "CapAmb")) {
            assertThat(field(r.data(), set)).as(set).isEqualTo("0000000000000000");
        }
        if (TestKit.ROOT) assertThat(field(r.data(), "CapBnd")).isEqualTo("0000000000000000");
        assertThat(field(r.data(), "NoNewPrivs")).isEqualTo("1");
        assertThat(field(r.data(), "Seccomp")).isEqualTo("2");
        // The engine the suite runs under (./run-tests runs it under both) is the one in force.
        assertThat(r.result().layers()).anyMatch(l -> l.startsWith(TestKit.ENGINE == Engine.PTRACE
                ? "ptrace engine:" : "ptrace guard:"));
    }

    @Test
    void inheritedJvmDescriptorsAreNotVisible() {
        // A descriptor without O_CLOEXEC in the JVM, as a careless library might leave one.
        int leaked = Sys.open("/etc/hostname", Sys.O_RDONLY, 0);
        try {
            Ran r = TestKit.probe(Policy.builder().read("/proc"), "fds");
            assertThat(r.status()).isEqualTo("OK");
            assertThat(r.data().trim()).isEqualTo("0 1 2");
        } finally {
            Sys.close(leaked);
        }
    }

    @Test
    void environmentHoldsOnlyWhatThePolicyPasses() {
        Ran r = TestKit.run(TestKit.system().env("ONLY_THIS", "1").build(), List.of("/usr/bin/env"));
        assertThat(r.stdout().lines().sorted().toList())
                .containsExactly("LANG=C.UTF-8", "ONLY_THIS=1", "PATH=/usr/local/bin:/usr/bin:/bin");
    }

    @Test
    void workingDirectoryIsApplied() {
        Path dir = TestKit.newDir("cwd");
        Ran r = TestKit.run(TestKit.system().read(dir.toString()).workingDirectory(dir).build(), List.of("/bin/pwd"));
        assertThat(r.stdout().trim()).isEqualTo(dir.toString());
    }

    @Test
    void launchLeavesTheJvmsWorkingDirectoryAlone() throws Exception {
        // The launch thread changes directory for the program (it has an fs_struct of its own): the JVM's other
        // threads share one, which must not follow.
        Path before = Files.readSymbolicLink(Path.of("/proc/self/cwd"));
        Path dir = TestKit.newDir("cwd-own");
        Ran r = TestKit.run(TestKit.system().read(dir.toString()).workingDirectory(dir).build(), List.of("/bin/pwd"));
        assertThat(r.stdout().trim()).isEqualTo(dir.toString());
        assertThat(Files.readSymbolicLink(Path.of("/proc/self/cwd"))).isEqualTo(before);
    }

    @Test
    void workingDirectoryTheSandboxUserCannotEnterIsRefusedAsSuch() throws Exception {
        // Mode 000: neither the sandbox user (root's runs) nor the owner (uid 65534's runs) may search it.
        Path dir = TestKit.newDir("cwd-closed");
        Files.setPosixFilePermissions(dir, java.util.Set.of());
        try {
            assertThatThrownBy(() -> TestKit.run(TestKit.system().read(dir.toString()).workingDirectory(dir).build(),
                    List.of("/bin/pwd")))
                    .isExactlyInstanceOf(SandboxException.class)
                    .hasMessageContaining("changing to the working directory " + dir)
                    .hasMessageContaining("EACCES");
        } finally {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void programRunsInANewSessionWithDefaultSignals() {
        Ran r = TestKit.probe(Policy.builder().read("/proc"), "creds");
        assertThat(r.data()).contains("session-leader=yes");
        assertThat(field(r.data(), "SigBlk")).isEqualTo("0000000000000000");
        // glibc's posix_spawn leaves its two internal signals (32, 33) ignored; every other signal is default.
        assertThat(Long.parseLong(field(r.data(), "SigIgn"), 16) & ~0x180000000L).isZero();
    }

    @Test
    void signalsToProcessesOutsideTheSandboxAreRefused() throws Exception {
        // A process of the same user as the sandboxed program: only the sandbox boundary protects it.
        Process victim = new ProcessBuilder(TestKit.ROOT
                ? List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "60")
                : List.of("sleep", "60")).start();
        try {
            String pid = Long.toString(victim.pid());
            Thread.sleep(100); // let setpriv exec sleep
            assertThat(TestKit.probe(Policy.builder(), "kill", pid, "0").status()).isEqualTo("EPERM");
            assertThat(victim.isAlive()).isTrue();
            assertThat(TestKit.probeNative("kill", pid, "0").status()).isEqualTo("OK");
        } finally {
            victim.destroyForcibly();
        }
    }

    @Test
    void processesThatLeaveTheSessionDieWithTheSandbox() throws Exception {
        Ran r = TestKit.probe(Policy.builder(), "escape");
        assertThat(r.status()).isEqualTo("OK");
        long grandchild = Long.parseLong(r.data().trim());
        assertThat(r.result().notEnforced()).isEmpty();
        assertThat(Files.exists(Path.of("/proc/" + grandchild)) && !zombie(grandchild)).as("grandchild alive").isFalse();
    }

    private static boolean zombie(long pid) throws Exception {
        String stat = dev.cordon.internal.sys.ProcFs.read(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    }
}
