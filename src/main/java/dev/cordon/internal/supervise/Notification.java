package dev.cordon.internal.supervise;

/** One seccomp user notification: a system call stopped before the kernel ran it. */
public record Notification(int listener, long id, int pid, int nr, int arch, long[] args) {
    /** Answers this notification from any thread (for decisions made off the supervisor thread). */
    public void answer(Decision decision) {
        Supervisor.respond(listener, id, decision);
    }
}
