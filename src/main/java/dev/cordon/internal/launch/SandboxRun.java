package dev.cordon.internal.launch;

import dev.cordon.LimitExceeded;
import dev.cordon.Limits;
import dev.cordon.RunResult;
import dev.cordon.Termination;
import dev.cordon.Verdict;
import dev.cordon.Violation;
import dev.cordon.internal.seccomp.SandboxFilter;
import dev.cordon.internal.landlock.PathModel;
import dev.cordon.internal.supervise.CallDecoder;
import dev.cordon.internal.supervise.TraceeFiles;
import dev.cordon.internal.sys.ProcFs;
import dev.cordon.internal.limits.Rlimits;
import dev.cordon.internal.limits.UserThread;
import dev.cordon.internal.limits.cgroup.CgroupException;
import dev.cordon.internal.limits.cgroup.RunCgroup;
import dev.cordon.internal.limits.cgroup.Usage;
import dev.cordon.SandboxedProcessInfo;
import dev.cordon.internal.namespaces.MountView;
import dev.cordon.internal.ptrace.ExitStatus;
import dev.cordon.internal.ptrace.ProcessInfo;
import dev.cordon.Engine;
import dev.cordon.internal.ptrace.SyscallStop;
import dev.cordon.internal.ptrace.TraceDecision;
import dev.cordon.internal.ptrace.TraceHandler;
import dev.cordon.internal.ptrace.TraceMode;
import dev.cordon.internal.ptrace.Tracer;
import dev.cordon.internal.namespaces.ProcMounter;
import dev.cordon.internal.supervise.Decision;
import dev.cordon.internal.supervise.MemfdHandler;
import dev.cordon.internal.supervise.Notification;
import dev.cordon.internal.supervise.SandboxWatcher;
import dev.cordon.internal.supervise.Supervisor;
import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;
import dev.cordon.internal.syscalls.Arch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One sandbox from its held first exec to the moment no process of it is left. The watcher methods and
 * timers run on the supervisor thread; the final accounting runs on a virtual thread, because removing
 * a cgroup may have to wait for the kernel.
 */
public final class SandboxRun implements SandboxWatcher {
    private static final int NR_EXECVE = Arch.current().require("execve");
    private static final int NR_EXECVEAT = Arch.current().require("execveat");
    private static final int NR_SETSID = Arch.current().require("setsid");
    private static final int NR_MEMFD_CREATE = Arch.current().require("memfd_create");
    private static final int NR_CONNECT = Arch.current().require("connect");
    private static final int NR_BIND = Arch.current().require("bind");
    private static final int NR_OPENAT = Arch.current().require("openat");
    private static final int NR_OPENAT2 = Arch.current().require("openat2");
    private static final int NR_OPEN = Arch.current().number("open").orElse(-2);
    private static final int NR_CREAT = Arch.current().number("creat").orElse(-2);
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int O_ACCMODE = 3, O_CREAT = 0100, O_TRUNC = 01000, O_DIRECTORY = 0200000,
            O_PATH = 010000000, O_TMPFILE = 020000000;
    private static final long FIRST_CHECK_NANOS = 2_000_000L;
    private static final long RECHECK_NANOS = 20_000_000L;
    private static final long POLL_NANOS = 10_000_000L;
    private static final int MAX_RECHECKS = 250;
    private static final int SIGXCPU = 24, SIGXFSZ = 25, SIGSYS = 31;

    private static final int MAX_VIOLATIONS_KEPT = 1000;

    private final Limits limits;
    private final SandboxFilter filter;
    private final Checks checks;
    private final Consumer<Violation> onViolation;
    private final List<Violation> violations = new ArrayList<>();
    private long violationCount;
    private final Rlimits rlimits;
    private final UserThread limitsThread;
    /**
     * The ptrace guard: traces every process of the tree from its first instruction (fork events only, no
     * syscall stops), so that PTRACE_O_EXITKILL kills the whole sandbox if the JVM dies, even by SIGKILL, and
     * the report can list every process. Null when it could not be used (best effort) or before the hold.
     */
    private volatile Tracer tracer;
    private volatile int heldPidfd = -1;
    /** The supervisor killed a process for a kill rule of the syscall policy (one the kernel program could not apply). */
    private volatile boolean killedForPolicy;
    private final boolean bestEffort;
    private final Engine engine;

    /** The program's mount view, whose /proc and /sys are mounted while the first exec is held; or null. */
    private final MountView view;
    private final RunCgroup cgroup;
    private final List<OutputRelay> relays;
    private final List<String> layers;
    private final List<String> notEnforced;
    private final List<String> guardLayer = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Set<Integer> sessions = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<RunResult> result = new CompletableFuture<>();
    private final AtomicReference<LimitExceeded> limitHit = new AtomicReference<>();
    private final long startNanos = System.nanoTime();

    private volatile boolean held;
    private volatile String holdFailure;
    private volatile int pid = -1;
    private int pidfd = -1;
    private Sys.ChildExit exit;
    private long endNanos;
    private boolean allGone;
    private boolean finishing;
    private int rechecks;

    /** What the supervisor checks itself to explain refusals the kernel would make: see {@link #decide}. */
    record Checks(PathModel model, Set<Integer> tcpConnect, Set<Integer> tcpBind) {}

    SandboxRun(Limits limits, SandboxFilter filter, Checks checks, Consumer<Violation> onViolation, Rlimits rlimits,
               UserThread limitsThread, RunCgroup cgroup, List<OutputRelay> relays, List<String> layers,
               List<String> notEnforced, MountView view, boolean bestEffort, Engine engine) {
        this.view = view;
        this.engine = engine;
        this.bestEffort = bestEffort;
        this.limits = limits;
        this.filter = filter;
        this.checks = checks;
        this.onViolation = onViolation;
        this.rlimits = rlimits;
        this.limitsThread = limitsThread;
        this.cgroup = cgroup;
        this.relays = List.copyOf(relays);
        this.layers = List.copyOf(layers);
        this.notEnforced = new java.util.concurrent.CopyOnWriteArrayList<>(notEnforced);
    }

    @Override
    public Decision decide(Notification n) {
        // Refusing is always sound; the rule is matched on the syscall number and register arguments only.
        // The user's syscall policy applies to the program: not to Cordon's own launch code, which runs under
        // the same filter in the JVM's launch thread, and in the spawned child until its held exec.
        Optional<SandboxFilter.Denial> denial = filter.denial(n.nr(), n.args(), held);
        if (denial.isPresent() && denial.get().user() && fromJvm(n)) {
            denial = filter.denial(n.nr(), n.args(), false);
        }
        if (denial.isPresent()) {
            report(n, denial.get());
            if (denial.get().kill()) {
                // A kill action of the user's policy on a call the launch needs: the kernel could not do it.
                killedForPolicy = true;
                try {
                    Sys.kill(n.pid(), Sys.SIGKILL);
                } catch (SyscallException ignored) {
                    // Gone already.
                }
            }
            return Decision.fail(denial.get().errno());
        }
        if (n.nr() == NR_EXECVE || n.nr() == NR_EXECVEAT) {
            if (!held) {
                held = true;
                return hold(n);
            }
            // The supervisor refuses only what Landlock would refuse too, so as to say why; otherwise the
            // kernel decides. Continuing is sound: the execute rules are enforced by Landlock.
            Optional<Path> program = execTarget(n);
            Optional<String> why = program.flatMap(p -> ExecDiagnosis.refusal(p, checks.model()));
            if (why.isPresent()) {
                return refuse(n, Errno.EACCES, "executing " + shown(program.get()) + ": " + why.get());
            }
            return allowed(n, Decision.CONTINUE);
        }
        if (n.nr() == NR_CONNECT || n.nr() == NR_BIND) return allowed(n, checkPort(n, n.nr() == NR_CONNECT));
        if (n.nr() == NR_OPENAT || n.nr() == NR_OPENAT2 || n.nr() == NR_OPEN || n.nr() == NR_CREAT) {
            return allowed(n, checkOpen(n));
        }
        if (n.nr() == NR_SETSID) {
            // A register-only call: continuing cannot be raced. The new session is the caller's pid.
            sessions.add(n.pid());
            return Decision.CONTINUE;
        }
        if (n.nr() == NR_MEMFD_CREATE) return MemfdHandler.handle(n);
        // Notified only for the user's policy, which does not refuse this call: Cordon's own, or allowed.
        if (filter.routedForUser(n.nr())) return Decision.CONTINUE;
        return Decision.fail(Errno.ENOSYS);
    }

    /** Whether the caller is a thread of this JVM (the launch thread): its calls are Cordon's own. */
    private static boolean fromJvm(Notification n) {
        Sys.countTraceeRead(); // a fact about the pid: the supervisor checks the call is still pending
        return Files.exists(Path.of("/proc/self/task", Integer.toString(n.pid())));
    }

    private Decision refuse(Notification n, int errno, String reason) {
        report(n, new SandboxFilter.Denial(errno, reason));
        return Decision.fail(errno);
    }

    private Optional<Path> execTarget(Notification n) {
        long[] a = n.args();
        boolean ownRoot = view != null;
        if (n.nr() == NR_EXECVE) return TraceeFiles.resolve(n.pid(), TraceeFiles.AT_FDCWD, a[0], ownRoot);
        String path = TraceeFiles.string(n.pid(), a[1]);
        if ((a[4] & AT_EMPTY_PATH) != 0 && (path == null || path.isEmpty())) {
            try {
                return Optional.of(Files.readSymbolicLink(Path.of("/proc", Integer.toString(n.pid()), "fd",
                        Integer.toString((int) a[0]))));
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        return TraceeFiles.resolve(n.pid(), (int) a[0], a[1], ownRoot);
    }

    /** A path as the program named it: without the /proc/PID/root prefix used to look into its view. */
    private static String shown(Path p) {
        if (p.getNameCount() > 3 && p.startsWith("/proc") && p.getName(2).toString().equals("root")) {
            return "/" + p.subpath(3, p.getNameCount());
        }
        return p.toString();
    }

    /** TCP connect and bind: refused here, with the reason, when Landlock would refuse the port anyway. */
    private Decision checkPort(Notification n, boolean connect) {
        byte[] addr = Sys.readBytes(n.pid(), n.args()[1], 4);
        if (addr == null || n.args()[2] < 4) return Decision.CONTINUE;
        int family = (addr[0] & 0xff) | (addr[1] & 0xff) << 8;
        if (family != 2 && family != 10) return Decision.CONTINUE; // AF_INET, AF_INET6 only
        int port = (addr[2] & 0xff) << 8 | (addr[3] & 0xff);
        Set<Integer> allowed = connect ? checks.tcpConnect() : checks.tcpBind();
        if (port == 0 && !connect) return Decision.CONTINUE; // an ephemeral port: Landlock decides
        if (allowed.contains(port)) return Decision.CONTINUE;
        return refuse(n, Errno.EACCES, "network: TCP port " + port + " is not allowed for " + (connect ? "connect" : "bind"));
    }

    /** File opens (audit level all): refused here, with the reason, when Landlock would refuse them anyway. */
    private Decision checkOpen(Notification n) {
        long[] a = n.args();
        int dirfd;
        long pathArg;
        long flags;
        if (n.nr() == NR_OPEN) {
            dirfd = TraceeFiles.AT_FDCWD; pathArg = a[0]; flags = a[1];
        } else if (n.nr() == NR_CREAT) {
            dirfd = TraceeFiles.AT_FDCWD; pathArg = a[0]; flags = O_CREAT | O_TRUNC | 1;
        } else if (n.nr() == NR_OPENAT) {
            dirfd = (int) a[0]; pathArg = a[1]; flags = a[2];
        } else {
            byte[] how = Sys.readBytes(n.pid(), a[2], 8);
            if (how == null) return Decision.CONTINUE;
            dirfd = (int) a[0]; pathArg = a[1];
            flags = java.nio.ByteBuffer.wrap(how).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        }
        if ((flags & (O_PATH | O_TMPFILE)) != 0) return Decision.CONTINUE;
        Optional<Path> path = TraceeFiles.resolve(n.pid(), dirfd, pathArg, view != null);
        if (path.isEmpty()) return Decision.CONTINUE;
        if (view == null) return checkOpenResolved(n, path.get(), flags);
        boolean exists = Files.exists(path.get());
        long needed = switch ((int) (flags & O_ACCMODE)) {
            case 0 -> Files.isDirectory(path.get()) ? PathModel.READ_DIR : PathModel.READ_FILE;
            case 1 -> PathModel.WRITE_FILE;
            default -> PathModel.READ_FILE | PathModel.WRITE_FILE;
        };
        if ((flags & O_TRUNC) != 0 && exists) needed |= PathModel.TRUNCATE;
        if ((flags & O_CREAT) != 0 && !exists) needed = PathModel.MAKE_REG;
        Optional<String> why = checks.model().refusal(path.get(), needed);
        if (why.isEmpty()) return Decision.CONTINUE;
        return refuse(n, Errno.EACCES, why.get());
    }

    /**
     * checkOpen without a mount view: the path resolved in four system calls (Sys.resolvePath) rather than an
     * exists, a stat and a realpath of a readlink per component, since at audit level all every open comes here.
     */
    private Decision checkOpenResolved(Notification n, Path path, long flags) {
        // Whether a read-only open names a directory matters only where the rules tell files from directories:
        // found out (one more system call) only then.
        Sys.PathInfo info = Sys.resolvePath(path.toString(), false);
        boolean exists = info != null;
        Path real;
        if (exists) {
            real = Path.of(info.real());
        } else {
            Sys.PathInfo parent = path.getParent() == null ? null : Sys.resolvePath(path.getParent().toString());
            if (parent == null || path.getFileName() == null) return Decision.CONTINUE;
            real = Path.of(parent.real()).resolve(path.getFileName());
        }
        long extra = (flags & O_TRUNC) != 0 && exists ? PathModel.TRUNCATE : 0;
        long needed = switch ((int) (flags & O_ACCMODE)) {
            case 0 -> {
                if (!exists) yield PathModel.READ_FILE;
                Optional<String> asFile = checks.model().refusalAt(real, PathModel.READ_FILE | extra);
                Optional<String> asDir = checks.model().refusalAt(real, PathModel.READ_DIR | extra);
                if (asFile.isEmpty() && asDir.isEmpty()) yield 0;
                yield Files.isDirectory(real) ? PathModel.READ_DIR : PathModel.READ_FILE;
            }
            case 1 -> PathModel.WRITE_FILE;
            default -> PathModel.READ_FILE | PathModel.WRITE_FILE;
        };
        if (needed == 0) return Decision.CONTINUE;
        needed |= extra;
        if ((flags & O_CREAT) != 0 && !exists) needed = PathModel.MAKE_REG;
        Optional<String> why = checks.model().refusalAt(real, needed);
        if (why.isEmpty()) return Decision.CONTINUE;
        return refuse(n, Errno.EACCES, why.get());
    }

    private void report(Notification n, SandboxFilter.Denial denial) {
        Violation v = new Violation(Instant.now(), n.pid(), processName(n.pid()), Arch.current().name(n.nr()),
                CallDecoder.decode(Arch.current(), n), denial.reason(), Errno.name(denial.errno()));
        synchronized (violations) {
            violationCount++;
            if (violations.size() < MAX_VIOLATIONS_KEPT) violations.add(v);
        }
        try {
            onViolation.accept(v);
        } catch (RuntimeException e) {
            System.err.println("cordon: violation listener failed: " + e);
        }
    }

    /** The child's first exec: nothing of the program has run yet. Put everything in place, then release it. */
    private Decision hold(Notification n) {
        sessions.add(n.pid());
        if (cgroup != null) {
            try {
                cgroup.addProcess(n.pid());
            } catch (CgroupException e) {
                holdFailure = "joining the cgroup: " + e.getMessage();
                return Decision.fail(Errno.EPERM);
            }
        }
        try {
            // Opened while the program is held and certainly alive: once traced, the tracer's wait may reap it
            // before posix_spawn has even returned.
            heldPidfd = Sys.pidfdOpen(n.pid());
        } catch (SyscallException e) {
            holdFailure = "opening a pidfd for the program: " + e.getMessage();
            return Decision.fail(Errno.EPERM);
        }
        try {
            if (engine == Engine.PTRACE) {
                tracer = Tracer.start(n.pid(), TraceMode.ENGINE, guard());
                guardLayer.add("ptrace engine: every process traced from its first instruction, killed if Cordon "
                        + "dies; supervised calls decided at seccomp stops");
            } else {
                tracer = Tracer.start(n.pid(), TraceMode.GUARD, guard());
                guardLayer.add("ptrace guard: every process traced from its first instruction, killed if Cordon dies");
            }
        } catch (SyscallException e) {
            if (!bestEffort) {
                holdFailure = "tracing the program (" + e.getMessage() + "): without it the sandbox would outlive "
                        + "a killed JVM; pass --best-effort to run without it";
                return Decision.fail(Errno.EPERM);
            }
            notEnforced.add("killing the sandbox if the JVM dies, and the process list (ptrace: " + e.getMessage() + ")");
        }
        if (view != null && (view.wantsProc() || view.wantsSys())) {
            // The program's own /proc can only be made now that its pid namespace has a process.
            ProcMounter.get().submit(() -> {
                try {
                    ProcMounter.get().mountInto(n.pid(), view.wantsProc(), view.wantsSys());
                } catch (SyscallException e) {
                    holdFailure = "mounting the program's /proc and /sys: " + e.getMessage();
                    n.answer(Decision.fail(Errno.EPERM));
                    return;
                }
                continueHold(n);
            });
            return Decision.ANSWERED;
        }
        return continueHold(n);
    }

    private Decision continueHold(Notification n) {
        if (limitsThread == null) {
            Decision d = release(n);
            if (view != null && (view.wantsProc() || view.wantsSys())) n.answer(d); // off the supervisor thread
            return d;
        }
        // prlimit across users needs CAP_SYS_RESOURCE, which root often lacks in containers; a thread with
        // the sandbox's own uid and gid may do it. It answers the notification itself.
        limitsThread.submit(() -> n.answer(release(n)));
        return Decision.ANSWERED;
    }

    private Decision release(Notification held) {
        try {
            rlimits.apply(held.pid());
        } catch (SyscallException e) {
            holdFailure = "applying resource limits: " + e.getMessage();
            return Decision.fail(Errno.EPERM);
        }
        // Sound to continue: Landlock decides in the kernel which files may be executed.
        return Decision.CONTINUE;
    }

    private volatile Consumer<dev.cordon.SupervisedCall> onCall;

    void onCall(Consumer<dev.cordon.SupervisedCall> listener) {
        this.onCall = listener;
    }

    /** Reports a supervised call that was let through, for {@code cordon trace}. */
    private Decision allowed(Notification n, Decision d) {
        Consumer<dev.cordon.SupervisedCall> listener = onCall;
        if (listener != null && d instanceof Decision.Continue) {
            try {
                listener.accept(new dev.cordon.SupervisedCall(Instant.now(), n.pid(), processName(n.pid()),
                        CallDecoder.decode(Arch.current(), n)));
            } catch (RuntimeException e) {
                System.err.println("cordon: call listener failed: " + e);
            }
        }
        return d;
    }

    private static String processName(int pid) {
        Sys.countTraceeRead(); // the pid's /proc file: the supervisor checks the call is still pending
        try {
            return ProcFs.read(Path.of("/proc", Integer.toString(pid), "comm")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** What the guard reports: new processes count against the process limit where no cgroup enforces it. */
    private TraceHandler guard() {
        return new TraceHandler() {
            @Override
            public void onFork(int parentPid, int childPid) {
                checkProcesses();
            }

            @Override
            public void onThread(int pid, int tid) {
                checkProcesses();
            }

            @Override
            public TraceDecision onSyscall(int tid, SyscallStop stop) {
                return decideAtStop(tid, stop);
            }
        };
    }

    /**
     * The ptrace engine: a seccomp stop decided by the same code as a notification. What the tracer can do and
     * user notification cannot is change a register: memfd_create gets MFD_NOEXEC_SEAL added to its flags and
     * runs in the program itself (the notify engine performs it in the supervisor instead). Allowing stays sound
     * as it is for notifications: what Landlock or a register value decides cannot be raced.
     */
    private TraceDecision decideAtStop(int tid, SyscallStop stop) {
        Notification n = new Notification(-1, 0, tid, stop.nr(), stop.arch(), stop.args());
        if (stop.nr() == NR_MEMFD_CREATE && filter.denial(stop.nr(), stop.args(), held).isEmpty()) {
            return new TraceDecision.SetArg(1, stop.args()[1] | Sys.MFD_NOEXEC_SEAL);
        }
        return switch (decide(n)) {
            case Decision.Continue c -> TraceDecision.ALLOW;
            case Decision.Fail f -> TraceDecision.deny(f.errno());
            case Decision.Value v -> TraceDecision.kill("a value answer has no ptrace form (syscall " + stop.nr() + ")");
            case Decision.Answered a -> TraceDecision.kill("an asynchronous answer has no ptrace form (syscall "
                    + stop.nr() + ")");
        };
    }

    private void checkProcesses() {
        Tracer t = tracer;
        if (cgroup == null && limits.processes() > 0 && t != null && t.tracees().size() > limits.processes()) {
            exceeded(LimitExceeded.PROCESSES);
        }
    }

    /** Called by the launcher once posix_spawn returned the pid. */
    void started(int pid, int pidfd) {
        LIVE.add(this);
        this.pid = pid;
        this.pidfd = pidfd;
        Supervisor supervisor = Supervisor.get();
        supervisor.watchExit(pidfd, this);
        for (int i = 0; i < relays.size(); i++) {
            relays.get(i).start(() -> exceeded(LimitExceeded.OUTPUT), "cordon-output-" + pid + "-" + (i + 1));
        }
        if (limits.wallTime() != null) {
            supervisor.schedule(limits.wallTime().toNanos(), () -> exceeded(LimitExceeded.WALL_TIME));
        }
        if (cgroup != null && (limits.cpuTime() != null || limits.processes() > 0 || limits.memoryBytes() > 0)) {
            supervisor.schedule(POLL_NANOS, this::poll);
        }
    }

    /**
     * Tree-wide CPU time, the process limit and OOM kills, read from the cgroup every few milliseconds. An OOM
     * kill of any process ends the run: the program would go on in a state it did not choose.
     */
    private void poll() {
        if (exit != null || finishing) return;
        Usage u;
        try {
            u = cgroup.usage();
        } catch (CgroupException e) {
            return;
        }
        if (limits.cpuTime() != null && u.cpuTotalNanos() >= limits.cpuTime().toNanos()) {
            exceeded(LimitExceeded.CPU_TIME);
        } else if (limits.processes() > 0 && u.pidsLimitHits() > 0) {
            exceeded(LimitExceeded.PROCESSES);
        } else if (limits.memoryBytes() > 0 && u.oomKills() > 0) {
            exceeded(LimitExceeded.MEMORY);
        } else {
            Supervisor.get().schedule(POLL_NANOS, this::poll);
        }
    }

    /** A limit was hit: the first one is recorded and the whole sandbox dies. */
    private void exceeded(LimitExceeded which) {
        if (result.isDone()) return;
        if (limitHit.compareAndSet(null, which)) destroy();
    }

    String holdFailure() {
        return holdFailure;
    }

    /** The program's pidfd, opened while its first exec was held; -1 if it never got that far. */
    int heldPidfd() {
        return heldPidfd;
    }

    public int pid() {
        return pid;
    }

    public CompletableFuture<RunResult> result() {
        return result;
    }

    @Override
    public void mainExited() {
        long end = System.nanoTime();
        Tracer t = tracer;
        if (t == null) {
            mainReaped(Sys.waitPidfd(pidfd), end);
        } else {
            // The tracer's wait reaps a traced child of the JVM: its status comes from there.
            t.rootExit().thenAccept(e -> Supervisor.get().schedule(0, () -> mainReaped(e, end)));
        }
    }

    private void mainReaped(Sys.ChildExit e, long end) {
        exit = e;
        endNanos = end;
        Sys.closeQuietly(pidfd);
        if (allGone) {
            finish();
        } else {
            // The filter is released when a task is reaped, so the hang-up for a lone program follows this
            // reap at once: give it a moment before looking for processes left behind.
            Supervisor.get().schedule(FIRST_CHECK_NANOS, this::killRest);
        }
    }

    @Override
    public void allProcessesGone() {
        allGone = true;
        if (exit != null) finish();
    }

    /** The main program is gone but other processes of the sandbox live on: they die with it. */
    private void killRest() {
        if (allGone) return;
        killAll();
        if (++rechecks <= MAX_RECHECKS) {
            Supervisor.get().schedule(RECHECK_NANOS, this::killRest);
        } else {
            finish();
        }
    }

    private void killAll() {
        Tracer t = tracer;
        if (t != null) t.killAll();
        TreeKiller.killSessions(sessions);
        if (cgroup != null) {
            // The cgroup's kill waits until the cgroup is empty, and a killed main process leaves it only once
            // the supervisor thread reaps it: never block that thread on it.
            Thread.ofVirtual().start(() -> {
                try {
                    cgroup.killAll();
                } catch (CgroupException ignored) {
                    // The session kill covers the tree; the cgroup is removed at the end either way.
                }
            });
        }
    }

    /** Kills every process of the sandbox. Safe from any thread, any number of times. */
    public void destroy() {
        if (!result.isDone()) killAll();
    }

    private void finish() {
        if (finishing) return;
        finishing = true;
        CompletableFuture<?>[] outputs = relays.stream().map(OutputRelay::done).toArray(CompletableFuture[]::new);
        CompletableFuture.allOf(outputs).whenComplete((v, t) -> Thread.ofVirtual().start(this::complete));
    }

    private void complete() {
        try {
            result.complete(account());
        } catch (RuntimeException | Error e) {
            result.completeExceptionally(e);
        } finally {
            LIVE.remove(this);
            if (cgroup != null) {
                try {
                    cgroup.close();
                } catch (CgroupException e) {
                    System.err.println("cordon: " + e.getMessage());
                }
            }
        }
    }

    private RunResult account() {
        Termination termination = exit.exitCode() >= 0
                ? new Termination.Exited(exit.exitCode()) : new Termination.Signaled(exit.signal());
        Duration user = Duration.ofNanos(exit.userMicros() * 1000);
        Duration system = Duration.ofNanos(exit.systemMicros() * 1000);
        long peakMemory = -1, peakProcesses = -1, oomKills = 0, pidsLimitHits = 0;
        String measuredBy = "getrusage (the program and the children it waited for)";
        if (cgroup != null) {
            Usage u = cgroup.usage();
            user = Duration.ofNanos(u.cpuUserNanos());
            system = Duration.ofNanos(u.cpuSystemNanos());
            peakMemory = u.memoryPeakBytes();
            peakProcesses = u.pidsPeak();
            oomKills = Math.max(0, u.oomKills());
            pidsLimitHits = Math.max(0, u.pidsLimitHits());
            measuredBy = cgroup.describe().startsWith("cgroup v2") ? "cgroup v2" : "cgroup v1";
        }
        LimitExceeded hit = limitHit.get();
        Duration cpu = user.plus(system);
        if (hit == null) {
            if (oomKills > 0) hit = LimitExceeded.MEMORY;
            else if (limits.cpuTime() != null && (cpu.compareTo(limits.cpuTime()) > 0
                    || termination.equals(new Termination.Signaled(SIGXCPU)))) hit = LimitExceeded.CPU_TIME;
            else if (termination.equals(new Termination.Signaled(SIGXFSZ))) hit = LimitExceeded.FILE_SIZE;
            else if (pidsLimitHits > 0 && limits.processes() > 0) hit = LimitExceeded.PROCESSES;
        }
        List<Violation> seen;
        long seenCount;
        synchronized (violations) {
            seen = List.copyOf(violations);
            seenCount = violationCount;
        }
        Verdict verdict = hit != null ? switch (hit) {
            case CPU_TIME, WALL_TIME -> Verdict.TIME_LIMIT;
            case MEMORY -> Verdict.MEMORY_LIMIT;
            case PROCESSES -> Verdict.PROCESS_LIMIT;
            case OUTPUT, FILE_SIZE -> Verdict.OUTPUT_LIMIT;
        } : termination.equals(new Termination.Signaled(SIGSYS)) || killedForPolicy ? Verdict.POLICY_VIOLATION
                : termination.equals(new Termination.Exited(0)) ? Verdict.OK : Verdict.RUNTIME_ERROR;
        List<String> missing = notEnforced;
        if (!allGone) {
            missing = new ArrayList<>(notEnforced);
            missing.add("some processes of the sandbox could not be killed after the program exited");
        }
        long stdout = relays.size() > 0 ? relays.get(0).done().join() : -1;
        long stderr = relays.size() > 1 ? relays.get(1).done().join() : -1;
        List<SandboxedProcessInfo> processes = new ArrayList<>();
        Tracer t = tracer;
        if (t != null) {
            for (ProcessInfo p : t.processes()) {
                ExitStatus s = p.exit();
                int parent = p.pid() == pid ? 0 : p.parent();
                processes.add(new SandboxedProcessInfo(p.pid(), parent, p.executable() == null ? "" : p.executable(),
                        p.commandLine() == null ? List.of() : p.commandLine(),
                        s == null ? -1 : s.code(), s == null ? 0 : s.signal()));
            }
        }
        List<String> allLayers = new ArrayList<>(layers);
        allLayers.addAll(guardLayer);
        return new RunResult(pid, termination, verdict, Optional.ofNullable(hit), Duration.ofNanos(endNanos - startNanos),
                user, system, peakMemory, peakProcesses, stdout, stderr, measuredBy, allLayers, List.copyOf(missing),
                seen, seenCount, processes);
    }

    /** Runs whose processes may still live; the shutdown hook kills them when the JVM exits. */
    private static final Set<SandboxRun> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(SandboxRun::destroyAll, "cordon-shutdown"));
    }

    static void destroyAll() {
        for (SandboxRun run : LIVE) run.destroy();
    }
}
