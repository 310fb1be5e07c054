package dev.cordon.internal.launch;

import dev.cordon.Limits;
import dev.cordon.RunResult;
import dev.cordon.Termination;
import dev.cordon.internal.limits.Rlimits;
import dev.cordon.internal.limits.UserThread;
import dev.cordon.internal.supervise.Decision;
import dev.cordon.internal.supervise.MemfdHandler;
import dev.cordon.internal.supervise.Notification;
import dev.cordon.internal.supervise.SandboxWatcher;
import dev.cordon.internal.supervise.Supervisor;
import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;
import dev.cordon.internal.syscalls.Arch;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One sandbox from its held first exec to the moment no process of it is left. Its watcher methods run on
 * the supervisor thread.
 */
public final class SandboxRun implements SandboxWatcher {
    private static final int NR_EXECVE = Arch.current().require("execve");
    private static final int NR_EXECVEAT = Arch.current().require("execveat");
    private static final int NR_SETSID = Arch.current().require("setsid");
    private static final int NR_MEMFD_CREATE = Arch.current().require("memfd_create");
    private static final long FIRST_CHECK_NANOS = 2_000_000L;
    private static final long RECHECK_NANOS = 20_000_000L;
    private static final int MAX_RECHECKS = 250;

    private final Limits limits;
    /** Where limits are applied from, or null for the supervisor thread itself. */
    private final UserThread limitsThread;
    private final List<String> layers;
    private final List<String> notEnforced;
    private final Set<Integer> sessions = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<RunResult> result = new CompletableFuture<>();
    private final long startNanos = System.nanoTime();

    private volatile boolean held;
    private volatile String holdFailure;
    private volatile int pid = -1;
    private int pidfd = -1;
    private Sys.ChildExit exit;
    private long endNanos;
    private boolean allGone;
    private int rechecks;

    SandboxRun(Limits limits, UserThread limitsThread, List<String> layers, List<String> notEnforced) {
        this.limits = limits;
        this.limitsThread = limitsThread;
        this.layers = List.copyOf(layers);
        this.notEnforced = List.copyOf(notEnforced);
    }

    @Override
    public Decision decide(Notification n) {
        if (n.nr() == NR_EXECVE || n.nr() == NR_EXECVEAT) {
            if (!held) {
                held = true;
                sessions.add(n.pid());
                if (limitsThread == null) return release(n);
                // prlimit across users needs CAP_SYS_RESOURCE, which root often lacks in containers; a
                // thread with the sandbox's own uid and gid may do it. It answers the notification itself.
                limitsThread.submit(() -> n.answer(release(n)));
                return Decision.ANSWERED;
            }
            // Sound to continue: which files may be executed is enforced by Landlock in the kernel, and
            // nothing was read from the program's memory.
            return Decision.CONTINUE;
        }
        if (n.nr() == NR_SETSID) {
            // A register-only call: continuing cannot be raced. The new session is the caller's pid.
            sessions.add(n.pid());
            return Decision.CONTINUE;
        }
        if (n.nr() == NR_MEMFD_CREATE) return MemfdHandler.handle(n);
        return Decision.fail(Errno.ENOSYS);
    }

    /** Puts in place what must be there before the program's first instruction, then lets the exec go on. */
    private Decision release(Notification held) {
        try {
            Rlimits.apply(held.pid(), limits);
        } catch (SyscallException e) {
            holdFailure = "applying resource limits: " + e.getMessage();
            return Decision.fail(Errno.EPERM);
        }
        // Sound to continue: Landlock decides in the kernel which files may be executed.
        return Decision.CONTINUE;
    }

    /** Called by the launcher once posix_spawn returned the pid. */
    void started(int pid, int pidfd) {
        register();
        this.pid = pid;
        this.pidfd = pidfd;
        Supervisor.get().watchExit(pidfd, this);
    }

    String holdFailure() {
        return holdFailure;
    }

    public int pid() {
        return pid;
    }

    public CompletableFuture<RunResult> result() {
        return result;
    }

    @Override
    public void mainExited() {
        exit = Sys.waitPidfd(pidfd);
        endNanos = System.nanoTime();
        Sys.closeQuietly(pidfd);
        if (allGone) {
            finish();
        } else {
            // The filter is released when a task is reaped, so the hang-up for a lone program follows this
            // reap at once: give it a moment before scanning /proc for processes left behind.
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
        TreeKiller.killSessions(sessions);
        if (++rechecks <= MAX_RECHECKS) {
            Supervisor.get().schedule(RECHECK_NANOS, this::killRest);
        } else {
            finish();
        }
    }

    /** Kills every process of the sandbox. Safe from any thread, any number of times. */
    public void destroy() {
        if (result.isDone()) return;
        TreeKiller.killSessions(sessions);
    }

    /** Runs whose processes may still live; the shutdown hook kills them when the JVM exits. */
    private static final Set<SandboxRun> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (SandboxRun run : LIVE) run.destroy();
        }, "cordon-shutdown"));
    }

    void register() {
        LIVE.add(this);
    }

    private void finish() {
        LIVE.remove(this);
        if (result.isDone()) return;
        Termination termination = exit.exitCode() >= 0
                ? new Termination.Exited(exit.exitCode()) : new Termination.Signaled(exit.signal());
        List<String> missing = notEnforced;
        if (!allGone) {
            missing = new java.util.ArrayList<>(notEnforced);
            missing.add("some processes of the sandbox could not be killed after the program exited");
        }
        result.complete(new RunResult(pid, termination, Duration.ofNanos(endNanos - startNanos),
                Duration.ofNanos(exit.userMicros() * 1000), Duration.ofNanos(exit.systemMicros() * 1000),
                -1, layers, missing));
    }
}
