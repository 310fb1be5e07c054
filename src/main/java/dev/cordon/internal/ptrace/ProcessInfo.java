package dev.cordon.internal.ptrace;

import java.util.List;

/**
 * One traced process (a thread group), as the tracer saw it. {@code parent} is the pid of the traced
 * process that created it (for the first process: its parent outside the sandbox). {@code executable}
 * and {@code commandLine} are read from /proc while the process is stopped at its exec event (a forked
 * process inherits its parent's); {@code exit} is null while it lives. Times are System.nanoTime().
 */
public record ProcessInfo(int pid, int parent, String executable, List<String> commandLine, long startNanos,
        long endNanos, ExitStatus exit) {
    public boolean alive() {
        return exit == null;
    }
}
