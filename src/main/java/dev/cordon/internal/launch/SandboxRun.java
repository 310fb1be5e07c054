package dev.cordon.internal.launch;

import dev.cordon.LimitExceeded;
import dev.cordon.Limits;
import dev.cordon.RunResult;
import dev.cordon.Termination;
import dev.cordon.Verdict;
import dev.cordon.Violation;
import dev.cordon.internal.seccomp.SandboxFilter;
import dev.cordon.internal.landlock.PathModel;
import dev.cordon.internal.supervise.FsIdentity;
import dev.cordon.internal.supervise.CallDecoder;
import dev.cordon.internal.supervise.TraceeFiles;
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
import dev.cordon.internal.supervise.MetadataCalls;
import dev.cordon.internal.landlock.Visibility;
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
    /**
     * Test only (SpawnChildLeakTest): the supervisor holds its answer to the spawned child's setsid this long, so
     * that a test can kill the JVM while the child waits in it. Read once; 0, the default, adds nothing.
     */
    private static final long TEST_SETSID_DELAY_MILLIS = Long.getLong("cordon.test.delaySetsidMillis", 0);
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
    /** The program's pid, known from its held exec on (pid is set later, when posix_spawn has returned). */
    private volatile int heldPid = -1;
    /** Completed by the tracer once the program's exit is reaped and recorded in its process list. */
    private final CompletableFuture<Void> rootRecorded = new CompletableFuture<>();
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
    record Checks(PathModel model, Set<Integer> tcpConnect, Set<Integer> tcpBind, Visibility visibility,
                  boolean hideMetadata, boolean changesByPath, boolean reportHidden, int uid, int gid) {}

    /** Metadata reads and changes by path, decided and performed by the supervisor. */
    private final MetadataCalls metadata;
    /** The names of the run's threads, for reports: descriptors of their comm files kept open until the end. */
    private final ProcessNames names = new ProcessNames();

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
        this.metadata = new MetadataCalls(checks.visibility(), checks.hideMetadata(), checks.changesByPath(),
                checks.reportHidden(),
                (n, errno, reason, call) -> report(n, new SandboxFilter.Denial(errno, reason), call),
                limitsThread == null ? null : limitsThread::submit, checks.uid(), checks.gid());
    }

    private volatile dev.cordon.internal.supervise.CallObserver observer;
    /** Programs this run has executed without a refusal: see {@link ExecDiagnosis.Allowed}. */
    private final ExecDiagnosis.Allowed execAllowed = new ExecDiagnosis.Allowed();

    /** {@code cordon learn}: every call the filter hands over (SandboxFilter.forLearning) is shown to {@code o}. */
    void observe(dev.cordon.internal.supervise.CallObserver o) {
        this.observer = o;
    }

    @Override
    public Decision decide(Notification n) {
        // Metadata reads keep the program's file-system identity on this thread between calls; anything else is
        // decided with the supervisor's own.
        if (!held || !metadata.handles(n.nr(), n.args())) FsIdentity.own();
        dev.cordon.internal.supervise.CallObserver o = observer;
        if (o == null) return decideCall(n);
        // Before the held exec the calls are Cordon's own launch code's; the first exec is the program itself.
        boolean program = held || n.nr() == NR_EXECVE || n.nr() == NR_EXECVEAT;
        Runnable record = program ? o.observe(n) : null;
        Decision d = decideCall(n);
        if (record != null && !(d instanceof Decision.Fail) && !fromJvm(n)) record.run();
        return d;
    }

    private Decision decideCall(Notification n) {
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
        if (metadata.handles(n.nr(), n.args())) {
            // Before the held exec these are Cordon's own (the spawned child's chdir): not the program's.
            if (!held) return Decision.CONTINUE;
            return allowed(n, metadata.decide(n));
        }
        if (n.nr() == NR_EXECVE || n.nr() == NR_EXECVEAT) {
            if (!held) {
                held = true;
                return hold(n);
            }
            // The supervisor refuses only what Landlock would refuse too, so as to say why; otherwise the
            // kernel decides. Continuing is sound: the execute rules are enforced by Landlock.
            Optional<Path> program = execTarget(n);
            Optional<String> why = program.flatMap(p -> execAllowed.refusal(p, checks.model()));
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
            if (!held && TEST_SETSID_DELAY_MILLIS > 0) testDelaySetsid();
            // A register-only call: continuing cannot be raced. The new session is the caller's pid.
            sessions.add(n.pid());
            return Decision.CONTINUE;
        }
        if (n.nr() == NR_MEMFD_CREATE) return MemfdHandler.handle(n);
        // Notified only for the user's policy, which does not refuse this call: Cordon's own, or allowed.
        if (filter.routedForUser(n.nr())) return Decision.CONTINUE;
        // Learn mode: handed over only to be recorded (see decide). Continuing decides nothing the kernel does not
        // enforce itself: the learning run's restrictions are all in Landlock and in the filter's own refusals.
        if (observer != null) return Decision.CONTINUE;
        return Decision.fail(Errno.ENOSYS);
    }

    private static void testDelaySetsid() {
        System.err.println("cordon-test: holding the spawned child's setsid");
        System.err.flush();
        try {
            Thread.sleep(TEST_SETSID_DELAY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the caller is a thread of this JVM (the launch thread): its calls are Cordon's own. */
    private static boolean fromJvm(Notification n) {
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
        Path p = path.get();
        return decideOpen(n, flags, Files.exists(p), () -> Files.isDirectory(p), rights -> checks.model().refusal(p, rights));
    }

    /**
     * checkOpen without a mount view: the path resolved in four system calls (Sys.resolvePath) rather than an
     * exists, a stat and a realpath of a readlink per component, since at audit level all every open comes here.
     */
    private Decision checkOpenResolved(Notification n, Path path, long flags) {
        Sys.PathInfo info = Sys.resolvePath(path.toString(), false);
        boolean exists = info != null;
        if (!exists && (flags & O_CREAT) == 0) return Decision.CONTINUE; // as decideOpen, before resolving the parent
        Path real;
        if (exists) {
            real = Path.of(info.real());
        } else {
            Sys.PathInfo parent = path.getParent() == null ? null : Sys.resolvePath(path.getParent().toString());
            if (parent == null || path.getFileName() == null) return Decision.CONTINUE;
            real = Path.of(parent.real()).resolve(path.getFileName());
        }
        return decideOpen(n, flags, exists, () -> Files.isDirectory(real), rights -> checks.model().refusalAt(real, rights));
    }

    /**
     * The rights an open needs, and the refusal if the rules do not grant them. Whether a read-only open names a
     * directory matters only where the rules tell files from directories: asked ({@code isDirectory}, one more
     * system call) only then.
     */
    private Decision decideOpen(Notification n, long flags, boolean exists, java.util.function.BooleanSupplier isDirectory,
                                java.util.function.LongFunction<Optional<String>> refusal) {
        // Opening a missing file fails with ENOENT before Landlock is asked: refusing it here would change the
        // errno the program sees (compilers probe include paths and stop on EACCES).
        if (!exists && (flags & O_CREAT) == 0) return Decision.CONTINUE;
        long needed;
        if (!exists) {
            needed = PathModel.MAKE_REG;
        } else {
            long extra = (flags & O_TRUNC) != 0 ? PathModel.TRUNCATE : 0;
            needed = extra | switch ((int) (flags & O_ACCMODE)) {
                case 0 -> {
                    if (refusal.apply(PathModel.READ_FILE | extra).isEmpty()
                            && refusal.apply(PathModel.READ_DIR | extra).isEmpty()) yield -1;
                    yield isDirectory.getAsBoolean() ? PathModel.READ_DIR : PathModel.READ_FILE;
                }
                case 1 -> PathModel.WRITE_FILE;
                default -> PathModel.READ_FILE | PathModel.WRITE_FILE;
            };
            if (needed == -1) return Decision.CONTINUE;
        }
        Optional<String> why = refusal.apply(needed);
        if (why.isEmpty()) return Decision.CONTINUE;
        return refuse(n, Errno.EACCES, why.get());
    }

    private void report(Notification n, SandboxFilter.Denial denial) {
        report(n, denial, CallDecoder.decode(Arch.current(), n));
    }

    private void report(Notification n, SandboxFilter.Denial denial, String call) {
        Violation v = new Violation(Instant.now(), n.pid(), processName(n.pid()), Arch.current().name(n.nr()),
                call, denial.reason(), Errno.name(denial.errno()));
        synchronized (violations) {
            violationCount++;
            if (violations.size() < MAX_VIOLATIONS_KEPT) violations.add(v);
        }
        try {
            FsIdentity.own(); // the listener is the caller's code: never with the sandbox's file-system identity
            onViolation.accept(v);
        } catch (RuntimeException e) {
            System.err.println("cordon: violation listener failed: " + e);
        }
    }

    /** The child's first exec: nothing of the program has run yet. Put everything in place, then release it. */
    private Decision hold(Notification n) {
        LaunchProfile.mark(profile, "hold");
        heldPid = n.pid();
        sessions.add(n.pid());
        try {
            // Opened while the program is held and certainly alive: once traced, the tracer's wait may reap it
            // before posix_spawn has even returned.
            heldPidfd = Sys.pidfdOpen(n.pid());
        } catch (SyscallException e) {
            holdFailure = "opening a pidfd for the program: " + e.getMessage();
            return Decision.fail(Errno.EPERM);
        }
        // Tracing, the program's /proc, the resource limits and the cgroup are independent of one another, and the
        // first three take a hand-off to another thread (the tracer's, the mounter's, the sandbox user's): started
        // together, with the cgroup joined here meanwhile, the program is released, or refused, by whichever
        // finishes last, and the supervisor thread waits for none of them. Nothing of the program runs before
        // that answer.
        List<CompletableFuture<Boolean>> steps = new ArrayList<>(4);
        steps.add(trace(n.pid()));
        if (view != null && (view.wantsProc() || view.wantsSys())) steps.add(mountProc(n.pid()));
        steps.add(limit(n.pid()));
        steps.add(CompletableFuture.completedFuture(joinCgroup(n.pid())));
        LaunchProfile.mark(profile, "hold: cgroup joined");
        CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new)).whenComplete((v, t) -> {
            boolean ready = t == null && steps.stream().allMatch(CompletableFuture::join);
            if (!ready && holdFailure == null) holdFailure = "preparing the held program: " + t;
            LaunchProfile.mark(profile, "release");
            // Sound to continue: Landlock decides in the kernel which files may be executed.
            n.answer(ready ? Decision.CONTINUE : Decision.fail(Errno.EPERM));
        });
        return Decision.ANSWERED;
    }

    private boolean joinCgroup(int pid) {
        if (cgroup == null) return true;
        try {
            cgroup.addProcess(pid);
            return true;
        } catch (CgroupException e) {
            holdFailure = "joining the cgroup: " + e.getMessage();
            return false;
        }
    }

    /** The ptrace guard (or engine) on the held program; false, with the reason in holdFailure, if required and refused. */
    private CompletableFuture<Boolean> trace(int pid) {
        Tracer t = Tracer.startAsync(pid, engine == Engine.PTRACE ? TraceMode.ENGINE : TraceMode.GUARD, guard(), true);
        return t.seized().handle((v, e) -> {
            LaunchProfile.mark(profile, "hold: traced");
            if (e == null) {
                tracer = t; // before the program is released: its exit is taken from the tracer from then on
                guardLayer.add(engine == Engine.PTRACE
                        ? "ptrace engine: every process traced from its first instruction, killed if Cordon dies; "
                                + "supervised calls decided at seccomp stops"
                        : "ptrace guard: every process traced from its first instruction, killed if Cordon dies");
                return true;
            }
            Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            String why = c instanceof SyscallException se ? se.getMessage() : c.toString();
            if (!bestEffort || !(c instanceof SyscallException)) {
                holdFailure = "tracing the program (" + why + "): without it the sandbox would outlive "
                        + "a killed JVM; pass --best-effort to run without it";
                return false;
            }
            notEnforced.add("killing the sandbox if the JVM dies, and the process list (ptrace: " + why + ")");
            return true;
        });
    }

    /** The program's own /proc and /sys, which can only be mounted now that its pid namespace has a process. */
    private CompletableFuture<Boolean> mountProc(int pid) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        ProcMounter.get().submit(() -> {
            try {
                ProcMounter.get().mountInto(pid, view.wantsProc(), view.wantsSys());
                done.complete(true);
            } catch (SyscallException e) {
                holdFailure = "mounting the program's /proc and /sys: " + e.getMessage();
                done.complete(false);
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /**
     * The resource limits. prlimit across users needs CAP_SYS_RESOURCE, which root often lacks in containers;
     * a thread with the sandbox's own uid and gid may do it.
     */
    private CompletableFuture<Boolean> limit(int pid) {
        if (limitsThread == null) return CompletableFuture.completedFuture(applyLimits(pid));
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        limitsThread.submit(() -> {
            try {
                done.complete(applyLimits(pid));
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e); // never leave the program held without an answer
            }
        });
        return done;
    }

    private boolean applyLimits(int pid) {
        try {
            rlimits.apply(pid);
            return true;
        } catch (SyscallException e) {
            holdFailure = "applying resource limits: " + e.getMessage();
            return false;
        }
    }

    private volatile Consumer<dev.cordon.SupervisedCall> onCall;
    /** Profiling only (null unless -Dcordon.launch.profile=true). */
    volatile LaunchProfile profile;

    void onCall(Consumer<dev.cordon.SupervisedCall> listener) {
        this.onCall = listener;
    }

    /** Reports a supervised call that was let through, for {@code cordon trace}. */
    private Decision allowed(Notification n, Decision d) {
        Consumer<dev.cordon.SupervisedCall> listener = onCall;
        // Answered: performed by the supervisor (metadata calls), with success.
        if (listener != null && (d instanceof Decision.Continue || d instanceof Decision.Value
                || d instanceof Decision.Answered)) {
            try {
                FsIdentity.own(); // as for violations: the caller's code runs with the supervisor's own identity
                listener.accept(new dev.cordon.SupervisedCall(Instant.now(), n.pid(), processName(n.pid()),
                        CallDecoder.decode(Arch.current(), n)));
            } catch (RuntimeException e) {
                System.err.println("cordon: call listener failed: " + e);
            }
        }
        return d;
    }

    private String processName(int pid) {
        return names.of(pid);
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

            @Override
            public void onExit(int exitedPid, ExitStatus status) {
                if (exitedPid == heldPid) rootRecorded.complete(null);
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
        Tracer t = tracer;
        if (t != null) {
            // The tracer's wait reaps the program and has its status (see mainExited): taken from there directly,
            // without watching the pidfd too, which cost the supervisor a wake-up of its own per run.
            // Once the tracer has recorded the program's end (onExit comes after its reap and after the exit is
            // entered in its process list, which account() reads), not at the reap itself.
            rootRecorded.thenRun(() -> {
                long end = System.nanoTime();
                Sys.ChildExit e = t.rootExit().getNow(null);
                if (e == null) { // not reaped by this tracer's wait: as mainExited does
                    t.rootExit().thenAccept(x -> supervisor.schedule(0, () -> mainReaped(x, end)));
                    return;
                }
                supervisor.schedule(0, () -> {
                    LaunchProfile.mark(profile, "main exited");
                    mainReaped(e, end);
                });
            });
        } else {
            supervisor.watchExit(pidfd, this);
        }
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

    /**
     * The result for code outside Cordon to chain on: its dependents run on a virtual thread, never on the
     * supervisor thread that completes {@link #result()}.
     */
    public CompletableFuture<RunResult> resultForCallers() {
        return result.thenApplyAsync(r -> r, task -> Thread.ofVirtual().start(task));
    }

    @Override
    public void mainExited() {
        LaunchProfile.mark(profile, "main exited");
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
        LaunchProfile.mark(profile, "main reaped");
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
        LaunchProfile.mark(profile, "all gone");
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
        LaunchProfile.mark(profile, "finish");
        CompletableFuture<?>[] outputs = relays.stream().map(OutputRelay::done).toArray(CompletableFuture[]::new);
        CompletableFuture<Void> written = CompletableFuture.allOf(outputs);
        if (written.isDone()) {
            // The usual case (no output relay, or all drained): accounted here on the supervisor thread, which is
            // awake anyway, rather than after a hand-off to another thread. Only a cgroup that is not empty yet
            // (removing it may wait for the kernel) goes to a virtual thread.
            complete(false);
        } else {
            written.whenComplete((v, t) -> Thread.ofVirtual().start(() -> complete(true)));
        }
    }

    /**
     * Accounts for the run, removes its cgroup and completes the result. {@code mayBlock}: false on the supervisor
     * thread, which must not wait for a busy cgroup. The result's own dependents are only waiters (get): callers
     * of onExit() get a copy completed on another thread (resultForCallers).
     */
    private void complete(boolean mayBlock) {
        LaunchProfile.mark(profile, "complete");
        RunResult r = null;
        Throwable failure = null;
        try {
            r = account();
            LaunchProfile.mark(profile, "accounted");
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        LIVE.remove(this);
        metadata.close();
        names.close();
        boolean removed = true;
        if (cgroup != null) {
            try {
                removed = cgroup.tryClose();
            } catch (RuntimeException e) {
                removed = false;
            }
        }
        if (failure == null) result.complete(r);
        else result.completeExceptionally(failure);
        if (!removed) {
            if (mayBlock) closeCgroup();
            else Thread.ofVirtual().start(this::closeCgroup);
        }
        LaunchProfile.end(profile);
    }

    private void closeCgroup() {
        try {
            cgroup.close();
        } catch (CgroupException e) {
            System.err.println("cordon: " + e.getMessage());
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
