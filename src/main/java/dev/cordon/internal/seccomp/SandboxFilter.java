package dev.cordon.internal.seccomp;

import dev.cordon.internal.syscalls.Arch;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The filter every sandbox gets: allow by default, but deny the escape and side-channel surface, keep
 * the network to what the policy allows, and hand the calls the supervisor must see (exec, setsid, memfd)
 * to it. The architecture is checked first: a foreign ABI (i386 {@code int 0x80}, x32) kills the process.
 * Numbers the syscall table does not know get ENOSYS, so that libc falls back to an older call.
 *
 * <p>Each denying rule carries the reason a user is told. When denials are reported, the kernel program
 * hands denied calls to the supervisor instead of failing them itself; the supervisor finds the same rule
 * here ({@link #denial}) and fails the call with the rule's errno. The decision rests on the syscall
 * number and register arguments only, which the program cannot change after the fact.
 *
 * <p>Rules on int arguments compare the low 32 bits only where a rule <em>denies</em> on equality: the
 * kernel truncates such arguments, so {@code ioctl(fd, 0x1_00005412)} is TIOCSTI and must be caught.
 * Where a rule denies on inequality (for example "any family but AF_INET"), a value with high bits set
 * is unequal and so denied, which is the safe direction.
 */
public final class SandboxFilter {
    static final int EPERM = 1, EACCES = 13, ENOSYS = 38;
    private static final long LOW32 = 0xffff_ffffL;

    /** A call the policy refuses: the errno it gets and the reason the user is told. */
    public record Denial(int errno, String reason, boolean kill, boolean user) {
        public Denial(int errno, String reason) {
            this(errno, reason, false, false);
        }
    }

    record Group(String reason, List<String> syscalls) {}

    /** Denied with EPERM, by reason. */
    static final List<Group> DENIED = List.of(
            new Group("other processes' memory is out of reach", List.of("ptrace", "process_vm_readv",
                    "process_vm_writev", "process_madvise", "process_mrelease", "pidfd_getfd", "kcmp",
                    "migrate_pages", "move_pages")),
            new Group("kernel attack surface: never allowed in the sandbox", List.of("bpf", "perf_event_open",
                    "userfaultfd", "keyctl", "add_key", "request_key", "fanotify_init", "modify_ldt", "uselib",
                    "lookup_dcookie", "nfsservctl", "_sysctl")),
            new Group("mounting is not allowed", List.of("mount", "umount2", "move_mount", "open_tree", "fsopen",
                    "fsconfig", "fsmount", "fspick", "mount_setattr", "pivot_root", "chroot")),
            new Group("namespaces cannot be created or joined", List.of("unshare", "setns")),
            new Group("opening files by handle bypasses the path rules", List.of("open_by_handle_at",
                    "name_to_handle_at")),
            new Group("system administration is not allowed", List.of("kexec_load", "kexec_file_load",
                    "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff", "settimeofday",
                    "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "acct",
                    "quotactl", "quotactl_fd", "vhangup", "iopl", "ioperm", "syslog")),
            // Not path-based, so Landlock does not govern them, and every sandbox runs as the same uid:
            // they would be a channel between sandboxes, or to the host's processes of that uid.
            new Group("SysV IPC and POSIX message queues cross the sandbox boundary", List.of("shmget", "shmat",
                    "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop", "semctl",
                    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr")));

    /**
     * Metadata changes, which Landlock does not govern: refused when the policy lets the program write nowhere,
     * so that it cannot chmod, chown, touch or tag files it can only read (the user's own files, when Cordon runs
     * as an ordinary user).
     */
    static final Group METADATA = new Group("changing metadata needs a write rule (Landlock does not govern it)",
            List.of("chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "utime",
                    "utimes", "futimesat", "utimensat", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
                    "lremovexattr", "fremovexattr", "setxattrat", "removexattrat"));

    /**
     * Metadata reads by path, which Landlock does not govern: handed to the supervisor when the program has no
     * mount namespace to hide what lies outside the policy, so that they fail with ENOENT there
     * (MetadataCalls). O_PATH opens too (open and openat with O_PATH in their flags: a register), since
     * fstat on such a descriptor reads metadata without a path.
     */
    public static final List<String> METADATA_READS = List.of("stat", "lstat", "newfstatat", "statx", "access",
            "faccessat", "faccessat2", "readlink", "readlinkat", "getxattr", "lgetxattr", "listxattr", "llistxattr",
            "statfs", "chdir", "inotify_add_watch");
    static final long O_PATH = 010000000;

    /** Denied with ENOSYS so that programs fall back: arguments live in memory the filter cannot inspect. */
    static final List<String> UNSUPPORTED = List.of("clone3", "io_uring_setup", "io_uring_enter", "io_uring_register");

    /** Handed to the supervisor: the held first exec, every later exec, and session changes for tree tracking. */
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

    private final Arch arch;
    private final FilterSpec decisions;
    private final FilterSpec kernel;
    private final Map<Rule, String> reasons;
    private final Map<Rule, String> userReasons;
    private final java.util.Set<String> routed;

    private SandboxFilter(Arch arch, FilterSpec decisions, FilterSpec kernel, Map<Rule, String> reasons,
                          Map<Rule, String> userReasons, java.util.Set<String> routed) {
        this.arch = arch;
        this.decisions = decisions;
        this.kernel = kernel;
        this.reasons = reasons;
        this.userReasons = userReasons;
        this.routed = routed;
    }

    /** Calls the supervisor checks to explain refusals by Landlock: TCP connect and bind. */
    public static final List<String> NETWORK_CHECKED = List.of("connect", "bind");
    /** Calls the supervisor checks at audit level all: every way of opening a file by path. */
    public static final List<String> FILES_CHECKED = List.of("open", "openat", "openat2", "creat");

    /** The mandatory filter alone, for a policy that writes somewhere and has no IPC namespace. */
    public static SandboxFilter build(boolean tcp, boolean reportDenials, boolean checkFiles) {
        return build(tcp, reportDenials, checkFiles, false, true, false, false, null);
    }

    /** As {@link #build(boolean, boolean, boolean)}, with a user's syscall policy combined in. */
    public static SandboxFilter build(boolean tcp, boolean reportDenials, boolean checkFiles, SyscallPolicy user) {
        return build(tcp, reportDenials, checkFiles, false, true, false, false, user);
    }

    private static final java.util.concurrent.ConcurrentHashMap<Integer, SandboxFilter> CACHE =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Syscalls Cordon's own launch makes under the filter: the launch thread inside the JVM (after installing
     * the filter: spawning, then ending the thread) and glibc's posix_spawn child before its first exec.
     * A user policy's refusals of these calls are handed to the supervisor, which lets them through for the
     * JVM and before the held exec, and applies the policy to the program (kill: SIGKILL, reported).
     */
    static final List<String> LAUNCH = List.of("mmap", "munmap", "mprotect", "madvise", "mremap", "brk",
            "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "sigaltstack", "restart_syscall", "sched_yield",
            "gettid", "getpid", "tgkill", "clone", "clone3", "vfork", "exit", "setsid", "fcntl", "dup2", "dup3",
            "close", "close_range", "chdir", "fchdir", "execve", "execveat", "write", "prctl", "getrusage",
            "sched_getaffinity", "nanosleep", "clock_nanosleep", "set_robust_list", "rseq");

    /**
     * Never restricted by a user policy: the launch thread hands the listener to the supervisor through a
     * futex, before anyone answers notifications, so futex can be neither refused nor notified.
     */
    static final List<String> EXEMPT = List.of("futex");

    /**
     * The filter for a policy. {@code tcp} allows TCP sockets (Landlock then decides which ports);
     * {@code reportDenials} routes denied calls through the supervisor so that each is reported, and hands it
     * TCP connect and bind; {@code checkFiles} also hands it file opens (audit level all); {@code ipcNamespace}:
     * the program has its own IPC namespace, so SysV IPC and message queues are allowed; {@code writes}: the
     * policy allows writing somewhere, else metadata changes are refused (see METADATA); {@code changesByPath}:
     * with writes, metadata changes go to the supervisor, which allows them beneath a write rule only (not in a
     * mount namespace, whose read-only mounts refuse them already); {@code hideMetadata}: metadata reads go to
     * the supervisor (see METADATA_READS), and openat2, whose flags the filter cannot see, fails with ENOSYS so
     * that programs fall back to openat. {@code user}, a user's
     * syscall policy, may be null; combined in, the result is the more restrictive of the mandatory filter and
     * the user's policy for every call (see {@link SyscallPolicy}). Kill and trap actions are in the kernel
     * program, except for the {@link #LAUNCH} calls. Errno actions go through the supervisor when denials are
     * reported, with the reason "syscall policy line N: rule".
     */
    public static SandboxFilter build(boolean tcp, boolean reportDenials, boolean checkFiles, boolean ipcNamespace,
                                      boolean writes, boolean changesByPath, boolean hideMetadata, SyscallPolicy user) {
        if (user != null) {
            return create(tcp, reportDenials, checkFiles, ipcNamespace, writes, changesByPath, hideMetadata, user);
        }
        // Without a user policy the filter depends on five switches only: each combination is built and
        // compiled once per JVM.
        int key = (tcp ? 1 : 0) | (reportDenials ? 2 : 0) | (checkFiles ? 4 : 0) | (ipcNamespace ? 8 : 0)
                | (writes ? 16 : 0) | (hideMetadata ? 32 : 0) | (changesByPath ? 64 : 0);
        return CACHE.computeIfAbsent(key, k -> create(tcp, reportDenials, checkFiles, ipcNamespace, writes,
                changesByPath, hideMetadata, null));
    }

    private static SandboxFilter create(boolean tcp, boolean reportDenials, boolean checkFiles, boolean ipcNamespace,
                                        boolean writes, boolean changesByPath, boolean hideMetadata,
                                        SyscallPolicy user) {
        Arch arch = Arch.current();
        List<Rule> rules = new ArrayList<>();
        Map<Rule, String> reasons = new IdentityHashMap<>();
        List<Group> denied = new ArrayList<>(DENIED);
        if (!writes) denied.add(METADATA);
        for (Group g : denied) {
            // In its own IPC namespace the program sees no host SysV objects and no other sandbox's.
            if (ipcNamespace && g.reason().startsWith("SysV IPC")) continue;
            for (String name : g.syscalls()) {
                // Tables differ between architectures (aarch64 has no iopl, modify_ldt, ...).
                if (arch.number(name).isPresent()) deny(rules, reasons, g.reason(), new Rule(name, Action.errno(EPERM)));
            }
        }
        for (String name : UNSUPPORTED) {
            if (arch.number(name).isPresent()) rules.add(new Rule(name, Action.errno(ENOSYS)));
        }
        for (String name : NOTIFIED) rules.add(new Rule(name, Action.USER_NOTIF));
        if (writes && changesByPath) {
            for (String name : METADATA.syscalls()) {
                if (arch.number(name).isPresent()) rules.add(new Rule(name, Action.USER_NOTIF));
            }
        }
        if (hideMetadata) {
            for (String name : METADATA_READS) {
                if (arch.number(name).isPresent()) rules.add(new Rule(name, Action.USER_NOTIF));
            }
            if (arch.number("open").isPresent()) {
                rules.add(new Rule("open", Action.USER_NOTIF, Condition.maskedEq(1, O_PATH, O_PATH)));
            }
            rules.add(new Rule("openat", Action.USER_NOTIF, Condition.maskedEq(2, O_PATH, O_PATH)));
            rules.add(new Rule("openat2", Action.errno(ENOSYS)));
        }
        if (tcp && reportDenials) for (String name : NETWORK_CHECKED) rules.add(new Rule(name, Action.USER_NOTIF));
        if (checkFiles) {
            for (String name : FILES_CHECKED) {
                if (arch.number(name).isPresent()) rules.add(new Rule(name, Action.USER_NOTIF));
            }
        }

        for (long flag : NAMESPACE_FLAGS) {
            deny(rules, reasons, "namespaces cannot be created or joined",
                    new Rule("clone", Action.errno(EPERM), Condition.maskedEq(0, flag, flag)));
        }
        for (long request : new long[] {TIOCSTI, TIOCLINUX}) {
            deny(rules, reasons, "injecting input into a terminal is not allowed",
                    new Rule("ioctl", Action.errno(EPERM), Condition.maskedEq(1, LOW32, request)));
        }
        deny(rules, reasons, "this personality would weaken address-space randomization",
                new Rule("personality", Action.errno(EPERM),
                        Condition.ne(0, PER_LINUX), Condition.ne(0, PER_LINUX32), Condition.ne(0, PER_QUERY)));

        // Landlock does not govern files on internal mounts, so an executable memfd could be run whatever the
        // execute rules say. The supervisor creates memfds itself, sealed against execution (MemfdHandler).
        rules.add(new Rule("memfd_create", Action.USER_NOTIF, Condition.maskedEq(1, MFD_NOEXEC_SEAL, 0)));
        deny(rules, reasons, "an executable memfd would bypass the execute rules",
                new Rule("memfd_create", Action.errno(EPERM), Condition.maskedEq(1, MFD_EXEC, MFD_EXEC)));

        deny(rules, reasons, "network: only unix socket pairs are allowed",
                new Rule("socketpair", Action.errno(EACCES), Condition.ne(0, AF_UNIX)));
        if (!tcp) {
            deny(rules, reasons, "network: no network access is allowed", new Rule("socket", Action.errno(EACCES)));
        } else {
            deny(rules, reasons, "network: only TCP sockets are allowed",
                    new Rule("socket", Action.errno(EACCES), Condition.ne(0, AF_INET), Condition.ne(0, AF_INET6)));
            for (int family : new int[] {AF_INET, AF_INET6}) {
                for (int type = 0; type < 16; type++) {
                    if (type == SOCK_STREAM) continue;
                    deny(rules, reasons, "network: only TCP sockets are allowed", new Rule("socket",
                            Action.errno(EACCES), Condition.eq(0, family), Condition.maskedEq(1, 0xf, type)));
                }
                deny(rules, reasons, "network: only TCP sockets are allowed", new Rule("socket", Action.errno(EACCES),
                        Condition.eq(0, family), Condition.ne(2, 0), Condition.ne(2, IPPROTO_TCP)));
            }
        }
        // TCP Fast Open connects inside sendto/sendmsg, past the connect hook Landlock checks ports on.
        String fastOpen = "network: TCP Fast Open would bypass the port rules";
        deny(rules, reasons, fastOpen, new Rule("sendto", Action.errno(EACCES), Condition.maskedEq(3, MSG_FASTOPEN, MSG_FASTOPEN)));
        deny(rules, reasons, fastOpen, new Rule("sendmsg", Action.errno(EACCES), Condition.maskedEq(2, MSG_FASTOPEN, MSG_FASTOPEN)));
        deny(rules, reasons, fastOpen, new Rule("sendmmsg", Action.errno(EACCES), Condition.maskedEq(3, MSG_FASTOPEN, MSG_FASTOPEN)));

        List<Rule> kernelRules = new ArrayList<>();
        for (Rule r : rules) {
            kernelRules.add(reportDenials && reasons.containsKey(r) ? new Rule(r.syscall(), Action.USER_NOTIF, r.conditions()) : r);
        }
        Action unknown = Action.errno(ENOSYS);
        Map<Rule, String> userReasons = new IdentityHashMap<>();
        java.util.Set<String> routed = new java.util.HashSet<>();
        if (user != null) {
            if (user.defaultAction().severity() > unknown.severity()) unknown = user.defaultAction();
            for (SyscallPolicy.Entry e : user.combined(arch)) {
                Rule r = e.rule();
                if (EXEMPT.contains(r.syscall())) continue;
                Action a = r.action();
                boolean restricts = !(a instanceof Action.Allow || a instanceof Action.Log);
                rules.add(r);
                if (!restricts) {
                    kernelRules.add(r);
                    continue;
                }
                userReasons.put(r, e.origin());
                if (LAUNCH.contains(r.syscall()) || (reportDenials && a instanceof Action.Errno)) {
                    kernelRules.add(new Rule(r.syscall(), Action.USER_NOTIF, r.conditions()));
                    routed.add(r.syscall());
                } else {
                    kernelRules.add(r);
                }
            }
        }
        FilterSpec decisions = new FilterSpec(Action.ALLOW, rules, unknown, Action.KILL_PROCESS);
        FilterSpec kernel = new FilterSpec(Action.ALLOW, kernelRules, unknown, Action.KILL_PROCESS);
        return new SandboxFilter(arch, decisions, kernel, reasons, userReasons, routed);
    }

    private static void deny(List<Rule> rules, Map<Rule, String> reasons, String reason, Rule rule) {
        rules.add(rule);
        reasons.put(rule, reason);
    }

    private volatile SandboxFilter traced;

    /**
     * This filter for the ptrace engine: the calls the supervisor decides go to the tracer (SECCOMP_RET_TRACE)
     * instead of the listener, except those that must stay on the listener: exec (the held first one, and the
     * tracer reports later ones as events), setsid (glibc's posix_spawn child calls it before any tracer is
     * attached), the calls Cordon's own launch makes ({@link #LAUNCH}) and file opens (the JVM's launch thread
     * runs under this filter untraced: a TRACE result without a tracer is ENOSYS).
     */
    public SandboxFilter forPtraceEngine() {
        SandboxFilter t = traced;
        if (t != null) return t;
        java.util.Set<String> keep = new java.util.HashSet<>(LAUNCH);
        keep.addAll(List.of("execve", "execveat", "setsid"));
        keep.addAll(FILES_CHECKED);
        // Metadata calls are performed by the supervisor, which answers with a value: a listener's answer.
        keep.addAll(METADATA_READS);
        keep.addAll(METADATA.syscalls());
        List<Rule> rules = new ArrayList<>();
        for (Rule r : kernel.rules()) {
            rules.add(r.action() instanceof Action.UserNotif && !keep.contains(r.syscall())
                    ? new Rule(r.syscall(), Action.trace(0), r.conditions()) : r);
        }
        FilterSpec spec = new FilterSpec(kernel.defaultAction(), rules, kernel.unknownSyscallAction(),
                kernel.badArchAction());
        traced = t = new SandboxFilter(arch, decisions, spec, reasons, userReasons, routed);
        return t;
    }

    /**
     * Left to the kernel while learning, never observed: the calls the JVM runtime may make for Cordon's launch
     * thread on its own, while the thread is in VM state (memory, signal masks, yielding, thread exit). Were one of
     * them held for the supervisor, a safepoint would wait for the held thread, and the supervisor, a Java thread,
     * for the safepoint. All are in @compute; a learned policy allows them always.
     */
    public static final List<String> LEARN_UNOBSERVED = List.of("mmap", "munmap", "mprotect", "madvise", "mremap",
            "brk", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall", "sched_yield", "gettid",
            "getpid", "exit", "nanosleep", "clock_nanosleep", "set_robust_list", "rseq");

    /**
     * This filter for {@code cordon learn}: every call the filter would let the program make is handed to the
     * supervisor instead (SECCOMP_RET_USER_NOTIF), so that it can be recorded; refusals stay as they are. futex
     * ({@link #EXEMPT}) and {@link #LEARN_UNOBSERVED} stay allowed. Slow, but a program is learned once.
     */
    public SandboxFilter forLearning() {
        List<Rule> rules = new ArrayList<>();
        java.util.Set<String> kept = new java.util.HashSet<>(EXEMPT);
        kept.addAll(LEARN_UNOBSERVED);
        java.util.Set<String> ruled = new java.util.HashSet<>();
        for (Rule r : kernel.rules()) {
            ruled.add(r.syscall());
            boolean lets = r.action() instanceof Action.Allow || r.action() instanceof Action.Log;
            rules.add(lets && !kept.contains(r.syscall()) ? new Rule(r.syscall(), Action.USER_NOTIF, r.conditions()) : r);
        }
        for (String name : kept) {
            if (!ruled.contains(name) && arch.number(name).isPresent()) rules.add(new Rule(name, Action.ALLOW));
        }
        FilterSpec spec = new FilterSpec(Action.USER_NOTIF, rules, kernel.unknownSyscallAction(),
                kernel.badArchAction());
        return new SandboxFilter(arch, decisions, spec, reasons, userReasons, routed);
    }

    /** The rules as the kernel runs them. */
    public FilterSpec kernelSpec() {
        return kernel;
    }

    private volatile byte[] compiled;

    /** The compiled filter in {@code struct sock_filter} form, ready for seccomp(2). Compiled once. */
    public byte[] compile() {
        byte[] c = compiled;
        if (c == null) compiled = c = BpfCompiler.compile(kernel, arch).toBytes();
        return c;
    }

    /** The denying rule a call matches, if any (the most restrictive, as in the kernel program). */
    public Optional<Denial> denial(int nr, long[] args) {
        return denial(nr, args, true);
    }

    /**
     * As {@link #denial(int, long[])}; {@code includeUser} false leaves out the user's syscall policy (for
     * Cordon's own calls: the launch thread, and the spawned child before its held exec).
     */
    public Optional<Denial> denial(int nr, long[] args, boolean includeUser) {
        String name = arch.name(nr);
        if (name == null) return Optional.empty();
        Rule best = null;
        for (Rule r : rulesOf(name)) {
            if ((reasons.containsKey(r) || includeUser && userReasons.containsKey(r))
                    && r.matches(args) && (best == null || r.action().severity() > best.action().severity())) {
                best = r;
            }
        }
        if (best == null) return Optional.empty();
        boolean fromUser = userReasons.containsKey(best);
        String reason = fromUser ? userReasons.get(best) : reasons.get(best);
        return switch (best.action()) {
            case Action.Errno e -> Optional.of(new Denial(e.errno(), reason, false, fromUser));
            case Action.KillProcess _, Action.KillThread _, Action.Trap _ ->
                    Optional.of(new Denial(EPERM, reason, true, fromUser));
            default -> Optional.empty();
        };
    }

    /** The decision rules by syscall name: every notification looks its rules up here (hot path). */
    private volatile Map<String, List<Rule>> byName;

    private List<Rule> rulesOf(String name) {
        Map<String, List<Rule>> m = byName;
        if (m == null) {
            m = new java.util.HashMap<>();
            for (Rule r : decisions.rules()) m.computeIfAbsent(r.syscall(), k -> new ArrayList<>()).add(r);
            byName = m;
        }
        return m.getOrDefault(name, List.of());
    }

    /** Whether some calls of this syscall reach the supervisor only because of the user's syscall policy. */
    public boolean routedForUser(int nr) {
        String name = arch.name(nr);
        return name != null && routed.contains(name);
    }
}
