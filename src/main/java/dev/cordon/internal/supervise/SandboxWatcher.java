package dev.cordon.internal.supervise;

/** What one sandbox wants from the supervisor thread. Methods run on that thread and must not block. */
public interface SandboxWatcher {
    /** Decides a notified system call. */
    Decision decide(Notification notification);

    /** No process uses the sandbox's filter any more: every process of the sandbox is gone. */
    void allProcessesGone();

    /** The program's main process has exited (not yet reaped). */
    void mainExited();
}
