package dev.cordon;

import java.time.Instant;

/**
 * A call the supervisor saw and let through (see {@link SandboxBuilder#onCall}); refused calls are
 * {@link Violation}s.
 *
 * @param time    when it was seen
 * @param pid     the calling process
 * @param process its name
 * @param call    decoded as strace would print it
 */
public record SupervisedCall(Instant time, int pid, String process, String call) {}
