package dev.cordon;

import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Namespaces as root; an ordinary user is refused them clearly (or runs without them in best-effort mode). */
class NamespaceTest {
    static Policy.Builder ns() {
        return TestKit.system().read("/proc").namespaces(true);
    }

    @Test
    void programIsPidOneWithItsOwnHostNameAndNoHostIpc() {
        if (!TestKit.ROOT) {
            assertThatThrownBy(() -> TestKit.run(ns().build(), List.of("true")))
                    .isInstanceOf(SandboxException.class).hasMessageStartingWith("namespaces need root");
            Ran r = TestKit.run(ns().bestEffort(true).build(), List.of("sh", "-c", "echo $$"));
            assertThat(r.stdout().trim()).isNotEqualTo("1");
            assertThat(r.result().layers()).noneMatch(l -> l.startsWith("namespaces"));
            return;
        }
        // A host SysV segment that must not be visible inside.
        Ran made = TestKit.nativeRun(List.of("ipcmk", "-M", "4096"), false);
        String id = made.stdout().replaceAll("(?s).*?(\\d+)\\s*$", "$1");
        try {
            assertThat(TestKit.nativeRun(List.of("ipcs", "-m"), false).stdout()).contains(" " + id + " ");
            Ran r = TestKit.run(ns().build(), List.of("sh", "-c", "echo $$; hostname; ipcs -m | grep -c '^0x' || true"));
            assertThat(r.stdout().lines().toList()).containsExactly("1", "cordon", "0");
        } finally {
            TestKit.nativeRun(List.of("ipcrm", "-m", id), false);
        }
        Ran r = TestKit.run(ns().build(), List.of("true"));
        assertThat(r.result().layers()).contains("namespaces: pid (the program is pid 1), network (empty), ipc, "
                + "uts (host name cordon)");
    }

    @Test
    void theWholeNamespaceDiesWithTheProgram() throws Exception {
        if (!TestKit.ROOT) return; // covered above: no namespaces for an ordinary user
        // A grandchild that leaves the session and sleeps: pid 1 exiting takes it down with the namespace.
        Ran r = TestKit.probe(Policy.builder().namespaces(true), "escape");
        assertThat(r.status()).isEqualTo("OK");
        assertThat(r.result().notEnforced()).isEmpty();
    }

    @Test
    void sysvIpcWorksInsideItsOwnNamespaceOnly() {
        String shmget = Integer.toString(dev.cordon.internal.syscalls.Arch.current().require("shmget"));
        // IPC_PRIVATE, 4096 bytes, IPC_CREAT|0600
        assertThat(TestKit.probe(Policy.builder(), "syscall", shmget, "0", "4096", "0x380").status()).isEqualTo("EPERM");
        if (TestKit.ROOT) {
            assertThat(TestKit.probe(Policy.builder().namespaces(true), "syscall", shmget, "0", "4096", "0x380").status())
                    .isEqualTo("OK");
        }
    }
}
