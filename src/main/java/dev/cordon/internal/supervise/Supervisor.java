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
 *
 * <p>A busy listener gets a thread of its own, up to {@link #MAX_DEDICATED} of them: one that waits for the
 * next notification inside SECCOMP_IOCTL_NOTIF_RECV instead of in epoll. Only a thread asleep in RECV gets the
 * synchronous wake-up (Linux 6.6): the kernel wakes it on the notifying CPU and hands that CPU over, and the
 * answer hands it back, with no cross-CPU wake-up either way. A thread asleep in epoll is woken the ordinary
 * way (epoll's own wait queue drops the flag), which costs a round trip about twice as much. The decision is
 * made on the thread that received the notification; watcher methods other than decide still run on the
 * supervisor thread.
 */
public final class Supervisor {
    private static final int MAX_EVENTS = 64;
    /** Notifications a listener receives through epoll before it gets a thread of its own. */
    private static final int DEDICATE_AFTER = Integer.getInteger("cordon.supervisor.dedicateAfter", 64);
    /** Listener threads at most: beyond that, busy sandboxes share the epoll thread like the others. */
    private static final int MAX_DEDICATED = Integer.getInteger("cordon.supervisor.maxDedicated",
            Math.max(2, 2 * Runtime.getRuntime().availableProcessors()));
    private final java.util.concurrent.atomic.AtomicInteger dedicated = new java.util.concurrent.atomic.AtomicInteger();
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

    /** {@code sync}: the kernel took SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, so a blocking RECV is worth a thread. */
    private static final class ListenerWatch implements Watch {
        final int fd;
        final SandboxWatcher watcher;
        final boolean sync;
        int received; // supervisor thread only

        ListenerWatch(int fd, SandboxWatcher watcher, boolean sync) {
            this.fd = fd;
            this.watcher = watcher;
            this.sync = sync;
        }

        @Override
        public int fd() {
            return fd;
        }
    }

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
        boolean sync = SeccompNative.setSyncWakeUp(listenerFd);
        add(new ListenerWatch(listenerFd, watcher, sync));
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
                FsIdentity.own();
                due.task.run();
            } catch (RuntimeException e) {
                System.err.println("cordon: supervisor timer error: " + e);
            }
        }
    }

    private void handle(Watch watch, int ev, MemorySegment notif, MemorySegment resp) {
        // instanceof, not a pattern switch: its bootstrap costs the CLI's start-up a generated class.
        if (watch instanceof WakeWatch w) {
            Sys.eventfdDrain(w.fd());
        } else if (watch instanceof ExitWatch w) {
            FsIdentity.own();
            remove(w);
            w.watcher().mainExited();
        } else if (watch instanceof ListenerWatch w) {
            if ((ev & Sys.EPOLLIN) != 0 && SeccompNative.receive(w.fd(), notif)) {
                answer(w, notif, resp);
                if (++w.received == DEDICATE_AFTER && w.sync) dedicate(w);
            } else if ((ev & (Sys.EPOLLHUP | Sys.EPOLLERR)) != 0) {
                FsIdentity.own();
                remove(w);
                Sys.closeQuietly(w.fd);
                w.watcher.allProcessesGone();
            }
        }
    }

    /**
     * Moves a busy listener from epoll to a thread of its own that sleeps in RECV (see the class comment). Runs
     * on the supervisor thread between two notifications, so the listener is served by one thread at a time.
     */
    private void dedicate(ListenerWatch w) {
        if (dedicated.incrementAndGet() > MAX_DEDICATED) {
            dedicated.decrementAndGet();
            return;
        }
        remove(w);
        Thread.ofPlatform().name("cordon-listener-" + w.fd).daemon().start(() -> {
            try {
                serve(w);
            } finally {
                dedicated.decrementAndGet();
            }
        });
    }

    /** A listener's own thread: blocking RECV, decide, answer, until no process uses the filter. */
    private void serve(ListenerWatch w) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment notif = arena.allocate(SeccompNative.NOTIF_SIZE, 8);
            MemorySegment resp = arena.allocate(SeccompNative.RESP_SIZE, 8);
            while (true) {
                try {
                    if (SeccompNative.receive(w.fd, notif)) {
                        answer(w, notif, resp);
                    } else if (Sys.hungUp(w.fd)) {
                        // RECV returns ENOENT both for a notification that vanished (its caller was killed) and
                        // for a filter no process uses any more; only the second hangs up the listener.
                        break;
                    }
                } catch (RuntimeException | Error e) {
                    System.err.println("cordon: supervisor error: " + e);
                    if (Sys.hungUp(w.fd)) break;
                }
            }
        }
        FsIdentity.own();
        Sys.closeQuietly(w.fd);
        schedule(0, w.watcher::allProcessesGone);
    }

    private void answer(ListenerWatch w, MemorySegment notif, MemorySegment resp) {
        long[] args = new long[6];
        for (int i = 0; i < 6; i++) args[i] = SeccompNative.notifArg(notif, i);
        long id = SeccompNative.notifId(notif);
        Notification n = new Notification(w.fd, id, SeccompNative.notifPid(notif), SeccompNative.notifNr(notif),
                SeccompNative.notifArch(notif), args);
        Decision d;
        Sys.beginCallReads();
        try {
            d = w.watcher.decide(n);
        } catch (RuntimeException e) {
            // Fail closed: a call the supervisor could not decide is refused.
            System.err.println("cordon: supervisor error deciding syscall " + n.nr() + " of pid " + n.pid() + ": " + e);
            d = Decision.fail(dev.cordon.internal.sys.Errno.EPERM);
        } finally {
            Sys.endCallReads();
        }
        // What the decision read of the program's memory or /proc files was the program's own only if its call was
        // pending throughout: killed meanwhile, its pid could be reused. No SECCOMP_IOCTL_NOTIF_ID_VALID is needed
        // for that here: a pending call's thread cannot die without its notification going, so the answer itself
        // fails (ENOENT) exactly when the check would have. Decisions that act on what they read before answering
        // (write results into the program's memory, perform a call) check it themselves first (MetadataCalls).
        if (d instanceof Decision.Answered) return;
        respond(w.fd, resp, id, d);
    }

    private static void respond(int listener, MemorySegment resp, long id, Decision d) {
        // instanceof, not a pattern switch (start-up, see handle).
        if (d instanceof Decision.Continue) {
            SeccompNative.respond(listener, resp, id, 0, 0, SeccompNative.USER_NOTIF_FLAG_CONTINUE);
        } else if (d instanceof Decision.Fail f) {
            SeccompNative.respond(listener, resp, id, 0, -f.errno(), 0);
        } else if (d instanceof Decision.Value v) {
            SeccompNative.respond(listener, resp, id, v.value(), 0, 0);
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
