package dev.cordon.internal.seccomp;

import dev.cordon.internal.syscalls.Arch;

import java.util.ArrayList;
import java.util.List;

/**
 * The filter every sandbox gets: allow by default, but deny the escape and side-channel surface, keep
 * the network to what the policy allows, and hand the calls the supervisor must see (exec, setsid) to
 * it. The architecture is checked first: a foreign ABI (i386 {@code int 0x80}, x32) kills the process.
 * Numbers the syscall table does not know get ENOSYS, so that libc falls back to an older call.
 *
 * <p>Rules on int arguments compare the low 32 bits only where a rule <em>denies</em> on equality: the
 * kernel truncates such arguments, so {@code ioctl(fd, 0x1_00005412)} is TIOCSTI and must be caught.
 * Where a rule denies on inequality (for example "any family but AF_INET"), a value with high bits set
 * is unequal and so denied, which is the safe direction.
 */
public final class SandboxFilter {
    private SandboxFilter() {}

    static final int EPERM = 1, EACCES = 13, ENOSYS = 38;
    private static final long LOW32 = 0xffff_ffffL;

    /** Denied with EPERM: kernel attack surface, other processes' memory, privileges, the host's state. */
    static final List<String> DENIED = List.of(
            "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "process_mrelease", "pidfd_getfd",
            "kcmp", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
            "mount", "umount2", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
            "pivot_root", "chroot", "unshare", "setns", "open_by_handle_at", "name_to_handle_at",
            "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
            "swapon", "swapoff", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
            "sethostname", "setdomainname", "acct", "quotactl", "quotactl_fd", "lookup_dcookie", "vhangup",
            "iopl", "ioperm", "syslog", "uselib", "modify_ldt", "fanotify_init", "migrate_pages", "move_pages",
            "nfsservctl", "_sysctl");

    /** Denied with ENOSYS so that programs fall back: arguments live in memory the filter cannot inspect. */
    static final List<String> UNSUPPORTED = List.of("clone3", "io_uring_setup", "io_uring_enter", "io_uring_register");

    /**
     * Handed to the supervisor: the held first exec, every later exec, and session changes for tree tracking.
     * memfd_create is handed over too, unless it asks for a non-executable memfd itself.
     */
    public static final List<String> NOTIFIED = List.of("execve", "execveat", "setsid");

    /** clone flags that create namespaces (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET). */
    static final long[] NAMESPACE_FLAGS = {0x00020000L, 0x02000000L, 0x04000000L, 0x08000000L, 0x10000000L,
            0x20000000L, 0x40000000L};

    static final int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
    static final int SOCK_STREAM = 1, IPPROTO_TCP = 6;
    static final long MSG_FASTOPEN = 0x20000000L;
    static final long TIOCSTI = 0x5412, TIOCLINUX = 0x541C;
    static final long MFD_NOEXEC_SEAL = 8, MFD_EXEC = 0x10;
    /** personality values that do not weaken the address space: PER_LINUX, PER_LINUX32, and the query. */
    static final long PER_LINUX = 0, PER_LINUX32 = 8, PER_QUERY = 0xffff_ffffL;

    /** The rules; {@code tcp} allows TCP sockets (Landlock then decides which ports). */
    public static FilterSpec spec(boolean tcp) {
        List<Rule> rules = new ArrayList<>();
        for (String name : DENIED) addIfKnown(rules, name, Action.errno(EPERM));
        for (String name : UNSUPPORTED) addIfKnown(rules, name, Action.errno(ENOSYS));
        for (String name : NOTIFIED) addIfKnown(rules, name, Action.USER_NOTIF);

        for (long flag : NAMESPACE_FLAGS) {
            rules.add(new Rule("clone", Action.errno(EPERM), Condition.maskedEq(0, flag, flag)));
        }
        for (long request : new long[] {TIOCSTI, TIOCLINUX}) {
            rules.add(new Rule("ioctl", Action.errno(EPERM), Condition.maskedEq(1, LOW32, request)));
        }
        rules.add(new Rule("personality", Action.errno(EPERM),
                Condition.ne(0, PER_LINUX), Condition.ne(0, PER_LINUX32), Condition.ne(0, PER_QUERY)));

        // Landlock does not govern files on internal mounts, so an executable memfd could be run whatever the
        // execute rules say. The supervisor creates memfds itself, sealed against execution (MemfdHandler).
        rules.add(new Rule("memfd_create", Action.USER_NOTIF, Condition.maskedEq(1, MFD_NOEXEC_SEAL, 0)));
        rules.add(new Rule("memfd_create", Action.errno(EPERM), Condition.maskedEq(1, MFD_EXEC, MFD_EXEC)));

        rules.add(new Rule("socketpair", Action.errno(EACCES), Condition.ne(0, AF_UNIX)));
        if (!tcp) {
            rules.add(new Rule("socket", Action.errno(EACCES)));
        } else {
            rules.add(new Rule("socket", Action.errno(EACCES), Condition.ne(0, AF_INET), Condition.ne(0, AF_INET6)));
            for (int family : new int[] {AF_INET, AF_INET6}) {
                for (int type = 0; type < 16; type++) {
                    if (type == SOCK_STREAM) continue;
                    rules.add(new Rule("socket", Action.errno(EACCES),
                            Condition.eq(0, family), Condition.maskedEq(1, 0xf, type)));
                }
                rules.add(new Rule("socket", Action.errno(EACCES),
                        Condition.eq(0, family), Condition.ne(2, 0), Condition.ne(2, IPPROTO_TCP)));
            }
        }
        // TCP Fast Open connects inside sendto/sendmsg, past the connect hook Landlock checks ports on.
        rules.add(new Rule("sendto", Action.errno(EACCES), Condition.maskedEq(3, MSG_FASTOPEN, MSG_FASTOPEN)));
        rules.add(new Rule("sendmsg", Action.errno(EACCES), Condition.maskedEq(2, MSG_FASTOPEN, MSG_FASTOPEN)));
        rules.add(new Rule("sendmmsg", Action.errno(EACCES), Condition.maskedEq(3, MSG_FASTOPEN, MSG_FASTOPEN)));

        return new FilterSpec(Action.ALLOW, rules, Action.errno(ENOSYS), Action.KILL_PROCESS);
    }

    private static void addIfKnown(List<Rule> rules, String name, Action action) {
        // Tables differ between architectures (aarch64 has no iopl, modify_ldt, ...): skip what does not exist.
        if (Arch.current().number(name).isPresent()) rules.add(new Rule(name, action));
    }

    /** The compiled filter in {@code struct sock_filter} form, ready for seccomp(2). */
    public static byte[] compile(boolean tcp) {
        return BpfCompiler.compile(spec(tcp), Arch.current()).toBytes();
    }
}
