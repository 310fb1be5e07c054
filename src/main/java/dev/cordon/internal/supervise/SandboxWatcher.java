package dev.cordon.internal.supervise;

/**
 * What one sandbox wants from the supervisor thread. Methods run on that thread and must not block, except
 * {@link #decide}: a busy sandbox's calls are decided on its listener's own thread. Calls of one sandbox are
 * decided one at a time, never concurrently, but decide may run alongside the other methods.
 */
public interface SandboxWatcher {
    /** Decides a notified system call. */
    Decision decide(Notification notification);

    /** No process uses the sandbox's filter any more: every process of the sandbox is gone. */
    void allProcessesGone();

    /** The program's main process has exited (not yet reaped). */
    void mainExited();
}
