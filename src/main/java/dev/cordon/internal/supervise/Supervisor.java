package dev.cordon.internal.supervise;

import dev.cordon.internal.sys.SeccompNative;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The supervisor: one platform thread serving every sandbox of the JVM through epoll, over each sandbox's
 * seccomp listener and its main process's pidfd, plus timers. Decisions are quick and never block, so one
 * thread serves hundreds of sandboxes.
 */
public final class Supervisor {
    private static final int MAX_EVENTS = 64;
    private static volatile Supervisor instance;

    /** The JVM's supervisor, started on first use. */
    public static Supervisor get() {
        Supervisor s = instance;
        if (s == null) {
            synchronized (Supervisor.class) {
                s = instance;
                if (s == null) instance = s = new Supervisor();
            }
        }
        return s;
    }

    private sealed interface Watch {
        int fd();
    }

    private record ListenerWatch(int fd, SandboxWatcher watcher) implements Watch {}

    private record ExitWatch(int fd, SandboxWatcher watcher) implements Watch {}

    private record WakeWatch(int fd) implements Watch {}

    private record Timer(long deadlineNanos, long seq, Runnable task) {}

    private final int epfd;
    private final int wakeFd;
    private final ConcurrentHashMap<Long, Watch> watches = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>(
            (a, b) -> a.deadlineNanos != b.deadlineNanos ? Long.compare(a.deadlineNanos, b.deadlineNanos)
                    : Long.compare(a.seq, b.seq));
    private final AtomicLong timerSeq = new AtomicLong();
    private final Thread thread;

    private Supervisor() {
        epfd = Sys.epollCreate();
        wakeFd = Sys.eventfd(Sys.EFD_CLOEXEC | Sys.EFD_NONBLOCK);
        add(new WakeWatch(wakeFd));
        thread = Thread.ofPlatform().name("cordon-supervisor").daemon().unstarted(this::loop);
        thread.start();
    }

    private void add(Watch watch) {
        long token = tokens.incrementAndGet();
        watches.put(token, watch);
        Sys.epollAdd(epfd, watch.fd(), Sys.EPOLLIN, token);
    }

    /**
     * Serves a sandbox's seccomp listener until no process uses it; then closes it. The listener asks for
     * synchronous wake-ups (Linux 6.6) where the kernel has them: the supervisor runs on the waking CPU, which
     * halves a round trip when the program is waiting for it.
     */
    public void watchListener(int listenerFd, SandboxWatcher watcher) {
        SeccompNative.setSyncWakeUp(listenerFd);
        add(new ListenerWatch(listenerFd, watcher));
    }

    /** Reports when the process behind {@code pidfd} exits; the pidfd stays the caller's. */
    public void watchExit(int pidfd, SandboxWatcher watcher) {
        add(new ExitWatch(pidfd, watcher));
    }

    /** Runs {@code task} on the supervisor thread after {@code delayNanos}. */
    public void schedule(long delayNanos, Runnable task) {
        synchronized (timers) {
            timers.add(new Timer(System.nanoTime() + delayNanos, timerSeq.incrementAndGet(), task));
        }
        Sys.eventfdSignal(wakeFd);
    }

    public boolean onSupervisorThread() {
        return Thread.currentThread() == thread;
    }

    private void loop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate((long) MAX_EVENTS * Sys.EPOLL_EVENT_SIZE, 8);
            MemorySegment notif = arena.allocate(SeccompNative.NOTIF_SIZE, 8);
            MemorySegment resp = arena.allocate(SeccompNative.RESP_SIZE, 8);
            while (true) {
                int n = Sys.epollWait(epfd, events, MAX_EVENTS, runDueTimers());
                for (int i = 0; i < n; i++) {
                    Watch watch = watches.get(Sys.epollToken(events, i));
                    if (watch == null) continue;
                    int ev = Sys.epollEvents(events, i);
                    try {
                        handle(watch, ev, notif, resp);
                    } catch (RuntimeException | Error e) {
                        // A bug in one sandbox's handling must not stop the others from being served.
                        System.err.println("cordon: supervisor error: " + e);
                    }
                }
            }
        }
    }

    /** Runs timers that are due; returns the epoll timeout until the next one (-1: none). */
    private int runDueTimers() {
        while (true) {
            Timer due;
            synchronized (timers) {
                Timer next = timers.peek();
                if (next == null) return -1;
                long wait = next.deadlineNanos - System.nanoTime();
                if (wait > 0) return (int) Math.max(1, (wait + 999_999) / 1_000_000);
                due = timers.poll();
            }
            try {
                due.task.run();
            } catch (RuntimeException e) {
                System.err.println("cordon: supervisor timer error: " + e);
            }
        }
    }

    private void handle(Watch watch, int ev, MemorySegment notif, MemorySegment resp) {
        switch (watch) {
            case WakeWatch w -> Sys.eventfdDrain(w.fd());
            case ExitWatch w -> {
                remove(w);
                w.watcher().mainExited();
            }
            case ListenerWatch w -> {
                if ((ev & Sys.EPOLLIN) != 0 && SeccompNative.receive(w.fd(), notif)) {
                    answer(w, notif, resp);
                } else if ((ev & (Sys.EPOLLHUP | Sys.EPOLLERR)) != 0) {
                    remove(w);
                    Sys.closeQuietly(w.fd());
                    w.watcher().allProcessesGone();
                }
            }
        }
    }

    private void answer(ListenerWatch w, MemorySegment notif, MemorySegment resp) {
        long[] args = new long[6];
        for (int i = 0; i < 6; i++) args[i] = SeccompNative.notifArg(notif, i);
        long id = SeccompNative.notifId(notif);
        Notification n = new Notification(w.fd(), id, SeccompNative.notifPid(notif), SeccompNative.notifNr(notif),
                SeccompNative.notifArch(notif), args);
        Decision d;
        try {
            d = w.watcher().decide(n);
        } catch (RuntimeException e) {
            // Fail closed: a call the supervisor could not decide is refused.
            System.err.println("cordon: supervisor error deciding syscall " + n.nr() + " of pid " + n.pid() + ": " + e);
            d = Decision.fail(dev.cordon.internal.sys.Errno.EPERM);
        }
        // What the decision read of the program's memory (a path, an address) was the program's own only if
        // its call is still pending: the process may have been killed and its pid reused meanwhile. Nothing
        // to answer then.
        if (!(d instanceof Decision.Answered) && !SeccompNative.idValid(w.fd(), resp, id)) return;
        respond(w.fd(), resp, id, d);
    }

    private static void respond(int listener, MemorySegment resp, long id, Decision d) {
        switch (d) {
            case Decision.Continue c -> SeccompNative.respond(listener, resp, id, 0, 0, SeccompNative.USER_NOTIF_FLAG_CONTINUE);
            case Decision.Fail f -> SeccompNative.respond(listener, resp, id, 0, -f.errno(), 0);
            case Decision.Value v -> SeccompNative.respond(listener, resp, id, v.value(), 0, 0);
            case Decision.Answered a -> { }
        }
    }

    /** Answers a notification from any thread. */
    static void respond(int listener, long id, Decision d) {
        try (Arena arena = Arena.ofConfined()) {
            respond(listener, arena.allocate(SeccompNative.RESP_SIZE, 8), id, d);
        }
    }

    private void remove(Watch w) {
        watches.values().remove(w);
        try {
            Sys.epollDelete(epfd, w.fd());
        } catch (SyscallException ignored) {
            // Already gone from the set (closed elsewhere): nothing to undo.
        }
    }
}
