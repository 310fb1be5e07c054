package dev.cordon;

import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
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
        assertThat(r.result().layers()).contains("namespaces: mount (only the policy's paths), pid (the program is "
                + "pid 1), network (empty), ipc, uts (host name cordon), cgroup");
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

    @Test
    void pathsOutsideThePolicyDoNotExist() {
        if (!TestKit.ROOT) return; // without a mount namespace they exist, and Landlock refuses them (EACCES)
        Path allowed = TestKit.newDir("visible");
        TestKit.file(allowed, "a.txt", "visible\n");
        Ran r = TestKit.run(ns().read(allowed.toString()).build(), List.of("sh", "-c",
                "stat /root; ls /home; readlink /etc/alternatives/awk; cat " + allowed.resolve("a.txt") + "; ls /"));
        assertThat(r.stderr()).contains("stat: cannot statx '/root': No such file or directory")
                .contains("ls: cannot access '/home': No such file or directory")
                .doesNotContain("Permission denied");
        assertThat(r.stdout()).contains("visible");
        // The root holds only the policy's trees, the devices, /proc and the root's own symbolic links.
        assertThat(r.stdout().lines().filter(l -> !l.equals("visible")).toList())
                .doesNotContain("root", "home", "var", "boot", "opt", "srv");
    }

    @Test
    void procShowsOnlyTheSandboxAndSysctlsAreReadOnly() {
        if (!TestKit.ROOT) return;
        Ran r = TestKit.run(ns().read("/sys").build(), List.of("sh", "-c",
                "ps -eo pid,comm --no-headers; ls /sys/class/net; echo x > /proc/sys/kernel/domainname"));
        List<String> ps = r.stdout().lines().map(String::trim).filter(l -> l.matches("\\d+ .*")).toList();
        assertThat(ps).first().isEqualTo("1 sh");
        assertThat(ps).allMatch(l -> l.endsWith(" sh") || l.endsWith(" ps"));
        assertThat(r.stdout()).contains("\nlo\n").doesNotContain("eth0");
        assertThat(r.stderr()).contains("Read-only file system");
        assertThat(r.result().layers()).anyMatch(l -> l.startsWith("namespaces: mount (only the policy's paths), pid"));
    }

    @Test
    void corePolicyHoldsWithTheNamespaceLayerOn() {
        if (!TestKit.ROOT) return;
        Path readable = TestKit.newDir("readable");
        Path writable = TestKit.newDir("writable");
        TestKit.file(readable, "data.txt", "public data\n");
        Policy.Builder p = Policy.builder().namespaces(true).read(readable.toString()).write(writable.toString());
        assertThat(TestKit.probe(p, "read", readable.resolve("data.txt").toString()).data()).isEqualTo("public data");
        assertThat(TestKit.probe(p, "create", writable.resolve("new").toString()).status()).isEqualTo("OK");
        assertThat(TestKit.probe(p, "create", readable.resolve("new").toString()).status()).isEqualTo("EROFS");
        assertThat(TestKit.probe(p, "read", "/etc/passwd").status()).isEqualTo("ENOENT");
        assertThat(TestKit.probe(p, "exec", "/usr/bin/true").status()).isEqualTo("ENOENT");
        assertThat(TestKit.probe(p, "socket", "inet", "stream").status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(Policy.builder().namespaces(true).read("/proc"), "memfdexec").status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(p, "syscall", Integer.toString(dev.cordon.internal.syscalls.Arch.current()
                .require("unshare")), "0x10000000").status()).isEqualTo("EPERM");
        assertThat(TestKit.probe(p.tcpConnect(1), "socket", "inet", "dgram").status()).isEqualTo("EACCES");
    }

    @Test
    void aFreshTmpIsPrivateAndWritable() {
        if (!TestKit.ROOT) return;
        Ran r = TestKit.run(ns().freshTmp(true).build(), List.of("sh", "-c",
                "ls -A /tmp | wc -l; echo data > /tmp/f && cat /tmp/f; grep -c ' /tmp ' /proc/self/mounts; "
                        + "chmod 600 /tmp/f && stat -c %a /tmp/f"));
        // The private /tmp's files are the program's own: their metadata changes too (the mount view's read-only
        // mounts refuse changes elsewhere, so the supervisor does not decide them by path here).
        assertThat(r.stdout().lines().toList()).containsExactly("0", "data", "1", "600");
        assertThat(r.result().layers()).anyMatch(l -> l.contains("cgroup"));
    }

    @Test
    void launchLatencyWithAndWithoutTheNamespaceLayer() throws Exception {
        if (!TestKit.ROOT) return;
        // Measured and printed, not asserted (timings on a shared machine are noise); README, "Namespaces".
        long[] nanos = new long[2];
        for (int round = 0; round < 2; round++) {
            for (int ns = 0; ns < 2; ns++) {
                Policy p = TestKit.system().namespaces(ns == 1).build();
                long start = System.nanoTime();
                for (int i = 0; i < 20; i++) TestKit.run(p, List.of("/bin/true"));
                if (round == 1) nanos[ns] = (System.nanoTime() - start) / 20;
            }
        }
        System.out.printf("launch of /bin/true: %.2f ms without namespaces, %.2f ms with (mount view, pid, net, ipc, uts, cgroup)%n",
                nanos[0] / 1e6, nanos[1] / 1e6);
    }

    @Test
    void devHoldsTheMinimalSet() {
        if (!TestKit.ROOT) return;
        Ran r = TestKit.run(ns().build(), List.of("sh", "-c",
                "ls /dev | sort | tr '\\n' ' '; echo; echo x > /dev/shm/s && cat /dev/shm/s; "
                + "python3 -c 'import os; m, s = os.openpty(); print(os.ttyname(s))'"));
        List<String> lines = r.stdout().lines().toList();
        assertThat(lines.get(0).trim().split(" ")).containsExactlyInAnyOrder("fd", "full", "null", "ptmx", "pts",
                "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero");
        assertThat(lines.get(1)).isEqualTo("x");
        assertThat(lines.get(2)).isEqualTo("/dev/pts/0"); // a pty of its own devpts instance: the first one
    }
}
