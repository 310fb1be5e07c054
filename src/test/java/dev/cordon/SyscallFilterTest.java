package dev.cordon;

import dev.cordon.internal.syscalls.Arch;
import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The default seccomp filter, loaded for real: what it kills, what it refuses and with which errno. */
class SyscallFilterTest {
    private static String nr(String name) {
        return Integer.toString(Arch.current().require(name));
    }

    private static Ran syscall(String... args) {
        String[] full = new String[args.length + 1];
        full[0] = "syscall";
        System.arraycopy(args, 0, full, 1, args.length);
        return TestKit.probe(Policy.builder(), full);
    }

    @Test
    void i386SystemCallsKillTheProcess() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Arch.current() == Arch.X86_64, "int 0x80 exists on x86_64 only");
        assertThat(TestKit.probeNative("int80").status()).isEqualTo("OK");
        Ran r = TestKit.probe(Policy.builder(), "int80");
        assertThat(r.result().termination()).isEqualTo(new Termination.Signaled(31)); // SIGSYS
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void x32SystemCallsKillTheProcess() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Arch.current() == Arch.X86_64, "x32 exists on x86_64 only");
        Ran r = syscall(Integer.toString(0x40000000 | Arch.current().require("getpid")));
        assertThat(r.result().termination()).isEqualTo(new Termination.Signaled(31));
    }

    @Test
    void escapeSurfaceIsDeniedWithEperm() {
        for (String name : new String[] {"ptrace", "process_vm_readv", "bpf", "perf_event_open", "userfaultfd", "keyctl",
                "add_key", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_by_handle_at",
                "kexec_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "settimeofday",
                "clock_settime", "sethostname", "setdomainname", "acct", "fsopen", "open_tree", "move_mount"}) {
            assertThat(syscall(nr(name)).status()).as(name).isEqualTo("EPERM");
        }
    }

    @Test
    void namespaceCreationThroughCloneIsDenied() {
        // clone(CLONE_NEWUSER | SIGCHLD): the program may not make itself root in a new user namespace.
        assertThat(TestKit.probeNative("syscall", nr("unshare"), "0x10000000").status()).isEqualTo("OK");
        assertThat(syscall(nr("clone"), Long.toString(0x10000000L | 17)).status()).isEqualTo("EPERM");
        assertThat(syscall(nr("clone"), Long.toString(0x40000000L | 17)).status()).isEqualTo("EPERM");
    }

    @Test
    void callsWhoseArgumentsCannotBeInspectedFailWithEnosys() {
        assertThat(syscall(nr("io_uring_setup"), "8", "0").status()).isEqualTo("ENOSYS");
        assertThat(syscall(nr("clone3"), "0", "0").status()).isEqualTo("ENOSYS");
    }

    @Test
    void unknownSystemCallNumbersFailWithEnosys() {
        assertThat(syscall("1000").status()).isEqualTo("ENOSYS");
        assertThat(syscall(Integer.toString(Arch.current().tableSize() + 5)).status()).isEqualTo("ENOSYS");
    }

    @Test
    void terminalInjectionIsDeniedWhateverTheHighBits() {
        // TIOCSTI with garbage in the upper half: the kernel truncates the request to 32 bits.
        assertThat(syscall(nr("ioctl"), "0", "0x5412", "0").status()).isEqualTo("EPERM");
        assertThat(syscall(nr("ioctl"), "0", "0x100005412", "0").status()).isEqualTo("EPERM");
        assertThat(syscall(nr("ioctl"), "0", "0x541C", "0").status()).isEqualTo("EPERM");
    }

    @Test
    void personalityMayNotWeakenTheAddressSpace() {
        assertThat(TestKit.probeNative("syscall", nr("personality"), "0x0040000").status()).isEqualTo("OK");
        assertThat(syscall(nr("personality"), "0x0040000").status()).isEqualTo("EPERM"); // ADDR_NO_RANDOMIZE
        assertThat(syscall(nr("personality"), "0x0400000").status()).isEqualTo("EPERM"); // READ_IMPLIES_EXEC
        assertThat(syscall(nr("personality"), "0xffffffff").status()).isEqualTo("OK");   // query
        assertThat(syscall(nr("personality"), "0").status()).isEqualTo("OK");
    }

    @Test
    void ordinaryCallsWork() {
        assertThat(syscall(nr("getpid")).status()).isEqualTo("OK");
        assertThat(TestKit.probe(Policy.builder(), "ok").exit()).isZero();
    }
}
