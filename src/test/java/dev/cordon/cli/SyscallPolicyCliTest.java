package dev.cordon.cli;

import dev.cordon.internal.syscalls.Arch;
import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --syscalls}, {@code --syscall} and {@code --compute-only} end to end. */
class SyscallPolicyCliTest {
    private static String nr(String name) {
        return Integer.toString(Arch.current().require(name));
    }

    @Test
    void badRulesAreUsageErrorsWithLineAndColumn() {
        Ran r = CliTest.cordon("run", "--syscall", "allow read", "--syscall", "allow write if arg0 1", "--", "true");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).isEqualTo("cordon: --syscall:2:21: expected a comparison operator after \"arg0\"\n");
        Path file = TestKit.file(TestKit.newDir("pol"), "p.policy", "# mine\nallow read\nallow opnat\n");
        Ran f = CliTest.cordon("run", "--syscalls", file.toString(), "--", "true");
        assertThat(f.exit()).isEqualTo(2);
        assertThat(f.stderr()).startsWith("cordon: " + file + ":3:7: unknown syscall \"opnat\"").contains("did you mean openat");
        Ran missing = CliTest.cordon("run", "--syscalls", "/nonexistent/p.policy", "--", "true");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.stderr()).startsWith("cordon: --syscalls /nonexistent/p.policy: cannot read it");
        Ran notify = CliTest.cordon("run", "--syscall", "notify execve", "--", "true");
        assertThat(notify.exit()).isEqualTo(2);
        assertThat(notify.stderr()).contains("belong to its supervisor");
    }

    @Test
    void policyFileAndComputeOnlyApply() {
        String probe = TestKit.probe().toString();
        Path file = TestKit.file(TestKit.newDir("pol"), "p.policy", "errno EBADF getppid  # test\n");
        Ran r = CliTest.cordon(CliTest.run(List.of("--syscalls", file.toString(), "--exec", probe), probe, "syscall",
                nr("getppid")));
        assertThat(r.stdout()).isEqualTo("EBADF\n");
        assertThat(r.stderr()).contains("syscall policy " + file + " line 1: errno EBADF getppid");
        Ran fork = CliTest.cordon(CliTest.run(List.of("--compute-only", "--exec", probe), probe, "syscall", nr("clone"), "17"));
        assertThat(fork.stdout()).isEqualTo("EPERM\n");
        assertThat(fork.exit()).isEqualTo(1);
        assertThat(fork.stderr()).contains("syscall policy --compute-only line 1: default errno EPERM (no rule of clone allows this call)");
        Ran ok = CliTest.cordon(CliTest.run(List.of("--compute-only", "--exec", probe), probe, "ok"));
        assertThat(ok.stdout()).isEqualTo("OK\n");
        assertThat(ok.exit()).isZero();
    }
}
