package dev.cordon.internal.ptrace;

import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Traces a whole process tree with ptrace, from one platform thread per live sandbox: every ptrace
 * request, and every wait for a tracee, is made by that thread, because the kernel ties a tracee to the
 * thread that attached it. A tracer thread whose sandbox is over, with no tracee left at all (checked with
 * the kernel, see {@link #work}), waits a while for the next sandbox instead of ending: starting a platform
 * thread is a good part of a launch's cost. It never holds two sandboxes at once.
 *
 * <p>{@link #start} seizes a process (PTRACE_SEIZE, on the tracer thread; the caller blocks until it is
 * done) with the options of a {@link TraceMode}. With TRACEFORK/VFORK/CLONE every process and thread the
 * tree creates is a tracee from its first instruction, and with EXITKILL the kernel kills every tracee if
 * the tracer thread exits for any reason (including the JVM being killed), whatever the user.
 *
 * <p>The wait loop. {@code waitid(P_ALL, 0, &info, WEXITED|WSTOPPED|__WALL|__WNOTHREAD|WNOWAIT)}, raw, on the
 * tracer thread. __WNOTHREAD limits it to this thread's own children and this thread's tracees; the tracer
 * thread never creates a child, so it sees tracees only, and never reaps a child of another JVM thread
 * ({@code ProcessBuilder}'s, the launcher's): without __WNOTHREAD, "any child" means any child of the whole
 * JVM. waitid (rather than wait4) because si_code tells exits (CLD_EXITED/KILLED/DUMPED) from ptrace stops
 * (CLD_TRAPPED) directly and si_status carries the whole stop code (signal | PTRACE_EVENT_* << 8). WNOWAIT:
 * an event is only peeked at. An exit is then reaped (waitid P_PID) under the same lock {@link #killAll}
 * holds while it signals tracees, so that a tid being signalled can never have been freed and reused
 * meanwhile. An exec stop is consumed at once (waitid P_PID, WNOHANG): the kernel refuses ptrace requests on
 * a tracee that took its leader's pid at an exec until that exec stop has been waited for; so is any stop
 * while the sandbox is being killed (a tracee killed at a stop, not resumed, would be reported again until
 * it is gone). Other stops are not waited for a second time: resuming a tracee (PTRACE_CONT, PTRACE_LISTEN)
 * ends the report of its stop, and a fork+exec makes five stops and exits (the parent's fork event, the
 * child's first stop, its exec, its exit, the parent's SIGCHLD), each a wake-up of this thread.
 *
 * <p>A tracee that is a child of this JVM (the launcher's held child). When tracer and real parent are the
 * same process, the kernel treats the real parent's waits as a tracer's: any other JVM thread waiting for
 * that pid (ProcessBuilder's reaper does, for its children) consumes its ptrace stops, which the tracer then
 * never sees, and the tracer's wait is the one that reaps it. So: no other thread may wait for the first
 * tracee while it is traced, and its exit status is taken from {@link #rootExit()}. (A pidfd may be polled.)
 *
 * <p>Stops:
 * <ul>
 * <li>fork/vfork/clone event: GETEVENTMSG gives the new tid; the parent is resumed and the new tid registered
 *     (a thread if its Tgid differs, read from /proc). The new tracee's own first stop (PTRACE_EVENT_STOP, since a
 *     seized tracee's children are seized too) can come first: it is then registered on sight from
 *     /proc/tid/status (Tgid, PPid) and remembered in {@code seenEarly}, and the parent's event only
 *     confirms it;</li>
 * <li>exec event: GETEVENTMSG gives the former tid; if a non-leader thread exec'd, that tid is gone without
 *     an exit report and the process keeps its pid. Executable and command line are read from /proc;</li>
 * <li>seccomp event (ENGINE): registers read, {@link TraceHandler#onSyscall} decides; before the decision is
 *     applied the registers are read again: if the tracee is gone or running (ESRCH) or at another call,
 *     an {@link Alert} is recorded and the sandbox killed (seed 004);</li>
 * <li>PTRACE_EVENT_STOP with SIGTRAP (a new tracee's first stop, or a re-trap after SIGCONT): resumed;
 *     with a stop signal (group stop): PTRACE_LISTEN, so the tracee stays stopped until SIGCONT without
 *     the tracer waiting on it;</li>
 * <li>anything else is a signal-delivery stop: resumed with the signal re-injected (SIGSTOP included: that
 *     is what makes the group stop happen). A seized tree gets no attach SIGSTOP/SIGTRAP artefacts, and
 *     syscall stops never come because the tracer never uses PTRACE_SYSCALL;</li>
 * <li>exits: the tid is reaped and forgotten; for a thread-group leader the process has ended.</li>
 * </ul>
 * Killing is SIGKILL to every tracee, never PTRACE_KILL. The tracer ends (and {@link #completion()}
 * completes) when the last tracee is gone.
 */
public final class Tracer {
    static final int SIGTRAP = 5, SIGKILL = 9, SIGSTOP = 19, SIGWINCH = 28;
    static final int EVENT_FORK = 1, EVENT_VFORK = 2, EVENT_CLONE = 3, EVENT_EXEC = 4, EVENT_SECCOMP = 7,
            EVENT_STOP = 128;
    private static final int WAIT_OPTIONS =
            Sys.WEXITED | Sys.WSTOPPED | Sys.__WALL | Sys.__WNOTHREAD | Sys.WNOWAIT;
    private static final int CONSUME_STOP = Sys.WSTOPPED | Sys.__WALL | Sys.__WNOTHREAD | Sys.WNOHANG;

    private static final boolean DEBUG = Boolean.getBoolean("cordon.tracer.debug");
    private final int rootPid;
    /** The first process is a single-threaded child held before its first exec: see {@link #startAsync}. */
    private final boolean heldBeforeExec;
    private final TraceMode mode;
    private final TraceHandler handler;
    private final Regs regs;
    /** The thread serving this tracer: set by it before the seize completes. */
    private volatile Thread thread;
    private final CompletableFuture<Void> seized = new CompletableFuture<>();
    private final CompletableFuture<Void> completion = new CompletableFuture<>();
    private final CompletableFuture<Sys.ChildExit> rootExit = new CompletableFuture<>();

    /** Live (not yet reaped) tracees: tid to its thread-group id. Written by the tracer thread only. */
    private final Map<Integer, Integer> tasks = new ConcurrentHashMap<>();
    /** Live processes by pid. */
    private final Map<Integer, Proc> procs = new ConcurrentHashMap<>();
    /** Every process seen, in order (grows with the number of processes: one small record each). */
    private final List<Proc> history = java.util.Collections.synchronizedList(new ArrayList<>());
    /**
     * Tracees whose first stop came before their parent's fork/clone event, until that event arrives (a
     * parent killed in between never reports it: an entry can outlive its tid, which is harmless: a reused
     * tid is then registered from its own first stop instead). Tracer thread only.
     */
    private final Set<Integer> seenEarly = new java.util.HashSet<>();
    private final List<Alert> alerts = new CopyOnWriteArrayList<>();
    /** Held while signalling tracees, and while reaping one: see the class comment. */
    private final Object reapLock = new Object();
    private volatile boolean killing;
    private volatile String killReason;
    private volatile boolean abandon;

    private Tracer(int rootPid, TraceMode mode, TraceHandler handler, boolean heldBeforeExec) {
        this.heldBeforeExec = heldBeforeExec;
        this.rootPid = rootPid;
        this.mode = mode;
        this.handler = handler;
        this.regs = mode == TraceMode.ENGINE ? Regs.current() : null;
    }

    /** Idle tracer threads take their next sandbox here (a hand-off: only a waiting thread accepts one). */
    private static final java.util.concurrent.SynchronousQueue<Tracer> IDLE = new java.util.concurrent.SynchronousQueue<>();
    private static final long IDLE_SECONDS = 30;

    /**
     * A tracer thread's life: serve one sandbox, then, if the kernel confirms this thread has no child and no
     * tracee left, wait up to {@link #IDLE_SECONDS} for another. Anything else ends the thread, which is what
     * makes EXITKILL kill whatever might be left: a failed loop, a test's abandon, or a tracee still attached
     * (a new process whose parent was killed before its fork event was seen is a tracee the loop never knew).
     */
    private static void work(Tracer first) {
        Tracer t = first;
        while (t != null) {
            t.thread = Thread.currentThread();
            if (t != first) Thread.currentThread().setName("cordon-tracer-" + t.rootPid);
            if (!t.run() || !noTraceeLeft()) return;
            try {
                t = IDLE.poll(IDLE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** True if this thread has no child and no tracee, live or unreaped, of any earlier sandbox. */
    private static boolean noTraceeLeft() {
        try {
            Sys.waitid(Sys.P_ALL, 0, WAIT_OPTIONS | Sys.WNOHANG);
            return false; // something is there (an event, or a tracee with none yet)
        } catch (SyscallException e) {
            return e.errno() == Errno.ECHILD;
        }
    }

    /**
     * Starts a tracer thread and seizes {@code pid} (and any threads it already has) from it. Returns once
     * the seize succeeded; throws the seize's {@link SyscallException} (EPERM: Yama ptrace_scope, another
     * user's or a non-dumpable process, or one already traced; ESRCH: no such process) if it failed.
     */
    public static Tracer start(int pid, TraceMode mode, TraceHandler handler) {
        Tracer t = startAsync(pid, mode, handler);
        try {
            t.seized.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while seizing pid " + pid, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
        return t;
    }

    /**
     * As {@link #start}, without waiting: {@link #seized()} completes once the seize succeeded, or
     * exceptionally with its {@link SyscallException}. Callbacks on it run on the tracer thread before it
     * handles any stop, or on the caller's if the seize is already done.
     */
    public static Tracer startAsync(int pid, TraceMode mode, TraceHandler handler) {
        return startAsync(pid, mode, handler, false);
    }

    /**
     * As {@link #startAsync(int, TraceMode, TraceHandler)}; {@code heldBeforeExec}: the process is a
     * single-threaded posix_spawn child held at its first exec, so there are no threads to seize and nothing
     * worth reading from /proc (its executable and command line are still the JVM's): they are recorded at its
     * exec event. Saves four /proc reads on the way to releasing it.
     */
    public static Tracer startAsync(int pid, TraceMode mode, TraceHandler handler, boolean heldBeforeExec) {
        Tracer t = new Tracer(pid, mode, handler == null ? TraceHandler.NONE : handler, heldBeforeExec);
        if (!IDLE.offer(t)) {
            Thread.ofPlatform().name("cordon-tracer-" + pid).daemon(true).start(() -> work(t));
        }
        return t;
    }

    /** Completes when the first process is seized; see {@link #startAsync}. */
    public CompletableFuture<Void> seized() {
        return seized;
    }

    public int rootPid() {
        return rootPid;
    }

    public TraceMode mode() {
        return mode;
    }

    /** The live tracees (thread ids: a process's pid is its leader's tid). */
    public Set<Integer> tracees() {
        return Set.copyOf(tasks.keySet());
    }

    /** Every process traced so far, live or ended, in the order they appeared. */
    public List<ProcessInfo> processes() {
        List<Proc> all;
        synchronized (history) {
            all = List.copyOf(history);
        }
        List<ProcessInfo> out = new ArrayList<>(all.size());
        for (Proc p : all) out.add(p.info());
        return out;
    }

    public List<Alert> alerts() {
        return List.copyOf(alerts);
    }

    /** Why the sandbox was killed, or null if it was not. */
    public String killReason() {
        return killReason;
    }

    /** Completes when the last tracee is gone (exceptionally if the tracer itself failed). */
    public CompletableFuture<Void> completion() {
        return completion;
    }

    /**
     * The first process's exit status and resource use, as the tracer's wait saw it. When that process is a
     * child of this JVM (the launcher's held child), the tracer's wait is the one that reaps it (the kernel
     * makes a tracer's wait final when tracer and real parent are the same process): its parent's own
     * waitid then fails with ECHILD, and this is where the status is. Never completes if the real parent
     * reaped it first (the tracer then sees no exit for it: it ends with the rest, status UNKNOWN).
     */
    public CompletableFuture<Sys.ChildExit> rootExit() {
        return rootExit;
    }

    /** Kills every process of the sandbox with SIGKILL; any tracee appearing later is killed on sight. */
    public void killAll() {
        killAll("killed on request");
    }

    private void killAll(String reason) {
        synchronized (reapLock) {
            if (killReason == null) killReason = reason;
            killing = true;
            for (int tid : tasks.keySet()) signal(tid, SIGKILL);
        }
    }

    private static void signal(int tid, int sig) {
        try {
            Sys.kill(tid, sig);
        } catch (SyscallException e) {
            // ESRCH: already gone.
        }
    }

    /** Up to {@code length} bytes of a tracee's memory (fewer at unmapped memory). The tracee can change it. */
    public static byte[] readMemory(int pid, long address, int length) {
        return Sys.readMemory(pid, address, length);
    }

    /** A NUL-terminated string of at most {@code max} bytes from a tracee; null if unreadable or unterminated. */
    public static String readString(int pid, long address, int max) {
        return Sys.readString(pid, address, max);
    }

    /**
     * Tests only: ends the tracer thread without detaching or resuming anything, as if it had died. With
     * EXITKILL the kernel then kills every tracee. Returns when the thread has ended.
     */
    public void abandonForTest() throws InterruptedException {
        abandon = true;
        // The thread sleeps in waitid: wake it with a signal whose delivery stop it will see (SIGWINCH is
        // ignored by default, and a tracee is stopped at delivery whatever its disposition).
        for (int tid : tasks.keySet()) signal(tid, SIGWINCH);
        thread.join(5000);
        if (thread.isAlive()) throw new IllegalStateException("tracer thread did not end");
    }

    // --- the tracer thread ----------------------------------------------------------------------

    /** Serves this tracer's sandbox to its end; false if the thread must end rather than serve another. */
    private boolean run() {
        try {
            seizeTree();
        } catch (RuntimeException e) {
            seized.completeExceptionally(e);
            completion.completeExceptionally(e);
            return false;
        }
        seized.complete(null);
        try {
            loop();
            completion.complete(null);
            return !abandon;
        } catch (Throwable t) {
            // The thread is about to end: EXITKILL kills whatever is left, but say so first.
            killAll("tracer failed: " + t);
            completion.completeExceptionally(t);
            return false;
        }
    }

    private void seizeTree() {
        try {
            Sys.ptrace(Sys.PTRACE_SEIZE, rootPid, 0, mode.options);
        } catch (SyscallException e) {
            String hint = e.errno() == Errno.EPERM
                    ? " (Yama ptrace_scope, another user's or a non-dumpable process, or already traced)" : "";
            throw new SyscallException("ptrace(PTRACE_SEIZE)", "of pid " + rootPid + hint, e.errno());
        }
        if (heldBeforeExec) {
            Proc root = new Proc(rootPid, 0, null, List.of());
            procs.put(rootPid, root);
            history.add(root);
            tasks.put(rootPid, rootPid);
            return;
        }
        ProcStatus st = ProcStatus.read(rootPid);
        Proc root = new Proc(rootPid, st == null ? 0 : st.ppid, exe(rootPid), cmdline(rootPid));
        procs.put(rootPid, root);
        history.add(root);
        tasks.put(rootPid, rootPid);
        // Threads it already has. Threads they create later are seized by TRACECLONE.
        boolean more = true;
        while (more) {
            more = false;
            for (int tid : threadsOf(rootPid)) {
                if (tasks.containsKey(tid)) continue;
                try {
                    Sys.ptrace(Sys.PTRACE_SEIZE, tid, 0, mode.options);
                    tasks.put(tid, rootPid);
                    more = true;
                } catch (SyscallException e) {
                    if (e.errno() != Errno.ESRCH) throw e;
                }
            }
        }
    }

    private static List<Integer> threadsOf(int pid) {
        try (Stream<Path> s = Files.list(Path.of("/proc", Integer.toString(pid), "task"))) {
            return s.map(p -> Integer.parseInt(p.getFileName().toString())).toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private void loop() {
        while (!tasks.isEmpty()) {
            Sys.WaitEvent ev;
            try {
                ev = Sys.waitid(Sys.P_ALL, 0, WAIT_OPTIONS);
            } catch (SyscallException e) {
                if (e.errno() == Errno.EINTR) continue;
                if (e.errno() == Errno.ECHILD) { // nothing left to wait for: they are all gone
                    for (int tid : List.copyOf(tasks.keySet())) gone(tid, ExitStatus.UNKNOWN);
                    return;
                }
                throw e;
            }
            if (abandon) return;
            if (DEBUG) System.err.println("tracer: " + ev + " tasks=" + tasks);
            if (ev == null) continue;
            try {
                switch (ev.code()) {
                    case Sys.CLD_EXITED, Sys.CLD_KILLED, Sys.CLD_DUMPED -> exited(ev.pid(), ExitStatus.of(ev.code(), ev.status()));
                    case Sys.CLD_TRAPPED, Sys.CLD_STOPPED -> {
                        if (((ev.status() >> 8) & 0xff) == EVENT_EXEC || killing) {
                            // Consume the stop: until it is waited for, the kernel refuses (ESRCH) ptrace requests
                            // on a tracee that changed its pid at an exec (looks_like_a_spurious_pid); and a tracee
                            // that is killed rather than resumed must not be reported again while it dies.
                            Sys.WaitEvent stop = Sys.waitid(Sys.P_PID, ev.pid(), CONSUME_STOP);
                            if (stop != null && (stop.code() == Sys.CLD_TRAPPED || stop.code() == Sys.CLD_STOPPED)) {
                                stopped(stop.pid(), stop.status());
                            }
                        } else {
                            // Any other stop ends its report when resumed (PTRACE_CONT, PTRACE_LISTEN): no second
                            // waitid. One that is not resumed is one being killed: consumed above next time.
                            stopped(ev.pid(), ev.status());
                        }
                    }
                    default -> { } // CLD_CONTINUED is not asked for
                }
            } catch (SyscallException e) {
                if (DEBUG) System.err.println("tracer: " + e);
                if (e.errno() != Errno.ESRCH && e.errno() != Errno.ECHILD) throw e;
                // The tracee was killed while we handled its stop: its exit report follows.
            } catch (RuntimeException e) {
                // A handler failed: the tracee is still stopped. Kill the sandbox; the exits follow.
                alerts.add(new Alert(ev.pid(), "tracer handler failed: " + e));
                killAll("tracer handler failed: " + e);
            }
        }
    }

    private void exited(int tid, ExitStatus status) {
        Integer tgid;
        synchronized (reapLock) {
            try {
                int options = Sys.WEXITED | Sys.__WALL | Sys.__WNOTHREAD | Sys.WNOHANG;
                if (tid == rootPid) { // its resource use too; the others' is not needed
                    Sys.ChildExit exit = Sys.waitExit(Sys.P_PID, tid, options);
                    if (exit != null) rootExit.complete(exit);
                } else {
                    Sys.waitid(Sys.P_PID, tid, options);
                }
            } catch (SyscallException e) {
                if (e.errno() != Errno.ECHILD) throw e;
            }
            tgid = tasks.remove(tid);
        }
        forget(tid, tgid, status);
    }

    private void gone(int tid, ExitStatus status) {
        forget(tid, tasks.remove(tid), status);
    }

    /** {@code tid} (of process {@code tgid}) is gone and reaped: record it and tell the handler. */
    private void forget(int tid, Integer tgid, ExitStatus status) {
        // Not removed from seenEarly: a new tracee can run, exit and be reaped before its parent's
        // fork event is even reported; that event must still find it was registered.
        if (tgid == null) return;
        if (tgid == tid) {
            Proc p = procs.remove(tid);
            if (p != null) p.ended(status);
            handler.onExit(tid, status);
        } else {
            handler.onThreadExit(tgid, tid);
        }
    }

    private void stopped(int tid, int status) {
        int sig = status & 0xff;
        int event = (status >> 8) & 0xff;
        if (!tasks.containsKey(tid)) seenFirst(tid);
        if (killing) { // it must not run again: SIGKILL ends a stopped tracee
            signal(tid, SIGKILL);
            return;
        }
        switch (event) {
            case EVENT_FORK, EVENT_VFORK, EVENT_CLONE -> {
                int child = (int) Sys.ptraceGetEventMsg(tid);
                // The parent first, then the bookkeeping: the child is a tracee already, stopped or about to
                // stop at its own first stop, and a kill meanwhile finds it registered or kills it on sight.
                resume(tid, 0);
                created(tid, child, event);
            }
            case EVENT_EXEC -> {
                int former = (int) Sys.ptraceGetEventMsg(tid);
                execed(tid, former);
                resume(tid, 0);
            }
            case EVENT_SECCOMP -> seccomp(tid);
            case EVENT_STOP -> {
                if (sig == SIGTRAP) {
                    resume(tid, 0); // first stop of a new tracee, or a re-trap (after SIGCONT, PTRACE_INTERRUPT)
                } else {
                    listen(tid); // group stop: stay stopped until SIGCONT without holding the tracer
                }
            }
            default -> {
                if (event == 0 && sig == (SIGTRAP | 0x80)) {
                    resume(tid, 0); // a syscall stop (never asked for)
                } else if (event == 0) {
                    resume(tid, sig); // signal-delivery stop: deliver it
                } else {
                    resume(tid, 0); // an event this tracer does not ask for
                }
            }
        }
    }

    private void resume(int tid, int sig) {
        try {
            Sys.ptrace(Sys.PTRACE_CONT, tid, 0, sig);
        } catch (SyscallException e) {
            if (e.errno() != Errno.ESRCH) throw e;
        }
    }

    private void listen(int tid) {
        try {
            Sys.ptrace(Sys.PTRACE_LISTEN, tid, 0, 0);
        } catch (SyscallException e) {
            if (e.errno() != Errno.ESRCH) throw e;
        }
    }

    /** A stop from a tid never seen: a new tracee whose first stop beat its parent's fork/clone event. */
    private void seenFirst(int tid) {
        ProcStatus st = ProcStatus.read(tid);
        seenEarly.add(tid);
        if (st != null && st.tgid != tid) {
            addThread(st.tgid, tid);
        } else {
            addProcess(st == null ? 0 : st.ppid, tid);
        }
    }

    /** The fork/vfork/clone event of {@code parentTid}, which created {@code child}. */
    private void created(int parentTid, int child, int event) {
        int parent = tasks.getOrDefault(parentTid, parentTid);
        if (seenEarly.remove(child)) {
            Proc p = procs.get(child);
            if (p != null && p.parent != parent && event != EVENT_CLONE) p.parent = parent; // CLONE_PARENT
            return;
        }
        if (tasks.containsKey(child)) return;
        if (event == EVENT_CLONE) {
            ProcStatus st = ProcStatus.read(child);
            if (st != null && st.tgid != child) {
                addThread(st.tgid, child);
                return;
            }
        }
        addProcess(parent, child);
    }

    private void addProcess(int parent, int pid) {
        Proc from = procs.get(parent);
        Proc p = from != null
                ? new Proc(pid, parent, from.executable, from.commandLine)
                : new Proc(pid, parent, exe(pid), cmdline(pid));
        procs.put(pid, p);
        history.add(p);
        tasks.put(pid, pid);
        if (killing) signal(pid, SIGKILL);
        handler.onFork(parent, pid);
    }

    private void addThread(int tgid, int tid) {
        tasks.put(tid, tgid);
        if (killing) signal(tid, SIGKILL);
        handler.onThread(tgid, tid);
    }

    private void execed(int pid, int former) {
        if (former != pid) {
            // A non-leader thread exec'd: it now has the leader's pid; its former tid is gone, unreported.
            tasks.remove(former);
            seenEarly.remove(former);
        }
        tasks.put(pid, pid);
        Proc p = procs.get(pid);
        if (p != null) p.execed(exe(pid), cmdline(pid));
        handler.onExec(pid, former);
    }

    private void seccomp(int tid) {
        if (regs == null) { // no TRACESECCOMP in this mode: cannot happen
            resume(tid, 0);
            return;
        }
        long[] r = new long[regs.words()];
        int bytes = Sys.ptraceGetRegset(tid, Sys.NT_PRSTATUS, r); // ESRCH: killed before we looked; skipped by the kernel
        if (bytes != regs.words() * 8) {
            alert(tid, "system call from a non-native ABI (register set of " + bytes + " bytes)");
            return;
        }
        SyscallStop stop = regs.stop(r);
        TraceDecision decision;
        try {
            decision = handler.onSyscall(tid, stop);
        } catch (RuntimeException e) {
            decision = TraceDecision.kill("syscall handler failed: " + e);
        }
        if (decision instanceof TraceDecision.Kill k) {
            killAll(k.reason());
            return;
        }
        // Seed 004: a tracee held at a stop must still be there, at the same call, when the answer is given.
        long[] now = new long[regs.words()];
        try {
            Sys.ptraceGetRegset(tid, Sys.NT_PRSTATUS, now);
        } catch (SyscallException e) {
            if (e.errno() != Errno.ESRCH) throw e;
            if (!killing) alert(tid, "running or gone while its system call " + stop.nr() + " was being decided");
            return;
        }
        if (!regs.sameCall(r, now)) {
            alert(tid, "at another system call when the decision was applied: " + regs.stop(now) + " instead of " + stop);
            return;
        }
        if (decision instanceof TraceDecision.SetArg a) {
            try {
                regs.setArg(tid, now, a.index(), a.value());
            } catch (SyscallException e) {
                if (e.errno() != Errno.ESRCH) throw e;
                if (!killing) alert(tid, "running or gone while its system call " + stop.nr() + " was being rewritten");
                return;
            }
        }
        if (decision instanceof TraceDecision.Deny d) {
            try {
                regs.skip(tid, now, -d.errno());
            } catch (SyscallException e) {
                if (e.errno() != Errno.ESRCH) throw e;
                if (!killing) alert(tid, "running or gone while its system call " + stop.nr() + " was being denied");
                return;
            }
        }
        resume(tid, 0);
    }

    private void alert(int tid, String what) {
        alerts.add(new Alert(tid, what));
        killAll("alert: pid " + tid + " " + what);
    }

    // --- /proc ----------------------------------------------------------------------------------

    // Raw reads (Sys.readProcFile/readProcLink: open, read, close into a per-thread buffer) rather than
    // java.nio.file: the tracee waits at its stop while they are made, once per exec and per early first stop.

    private record ProcStatus(int tgid, int ppid) {
        static ProcStatus read(int tid) {
            byte[] b = Sys.readProcFile(tid, "status");
            if (b == null) return null; // gone
            int tgid = field(b, "\nTgid:"), ppid = field(b, "\nPPid:");
            return tgid < 0 || ppid < 0 ? null : new ProcStatus(tgid, ppid);
        }

        /** The decimal value of the line starting with {@code key} (after its newline), or -1. */
        private static int field(byte[] b, String key) {
            outer:
            for (int i = 0; i + key.length() <= b.length; i++) {
                for (int k = 0; k < key.length(); k++) if (b[i + k] != key.charAt(k)) continue outer;
                int j = i + key.length();
                while (j < b.length && (b[j] == ' ' || b[j] == '\t')) j++;
                long v = 0;
                int start = j;
                while (j < b.length && b[j] >= '0' && b[j] <= '9' && v <= Integer.MAX_VALUE) v = v * 10 + (b[j++] - '0');
                return j == start || v > Integer.MAX_VALUE ? -1 : (int) v;
            }
            return -1;
        }
    }

    private static String exe(int pid) {
        return Sys.readProcLink(pid, "exe");
    }

    private static List<String> cmdline(int pid) {
        byte[] b = Sys.readProcFile(pid, "cmdline");
        if (b == null) return List.of();
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                out.add(new String(b, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < b.length) out.add(new String(b, start, b.length - start, StandardCharsets.UTF_8));
        return List.copyOf(out);
    }

    /** A traced process; mutated by the tracer thread, read through {@link #info()}. */
    private static final class Proc {
        final int pid;
        final long start = System.nanoTime();
        volatile int parent;
        volatile String executable;
        volatile List<String> commandLine;
        volatile long end;
        volatile ExitStatus exit;

        Proc(int pid, int parent, String executable, List<String> commandLine) {
            this.pid = pid;
            this.parent = parent;
            this.executable = executable;
            this.commandLine = commandLine;
        }

        synchronized void execed(String executable, List<String> commandLine) {
            this.executable = executable;
            this.commandLine = commandLine;
        }

        synchronized void ended(ExitStatus status) {
            end = System.nanoTime();
            exit = status;
        }

        synchronized ProcessInfo info() {
            return new ProcessInfo(pid, parent, executable, commandLine, start, end, exit);
        }
    }

    /** Waits for completion; for tests and simple callers. */
    public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            completion.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("tracer failed", e.getCause());
        }
    }
}
