package dev.cordon;

import java.time.Instant;

/**
 * A call the policy refused, as the supervisor saw it.
 *
 * @param time    when it was refused
 * @param pid     the calling process, as the caller of Cordon sees it
 * @param process the calling process's name ({@code /proc/PID/comm})
 * @param syscall the system call's name
 * @param call    the call decoded as strace would print it, e.g. {@code socket(AF_INET, SOCK_DGRAM, 0)}
 * @param reason  the rule that refused it, in words
 * @param action  what was done, e.g. {@code EACCES}
 */
public record Violation(Instant time, int pid, String process, String syscall, String call, String reason,
                        String action) {
    /** {@code denied socket(AF_INET, SOCK_DGRAM, 0) by pid 4711 (python3): network: ...}. */
    public String describe() {
        return "denied " + call + " by pid " + pid + " (" + process + "): " + reason;
    }
}
