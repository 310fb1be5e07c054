package dev.cordon.internal.limits;

import dev.cordon.Limits;
import dev.cordon.internal.sys.Sys;

/** The per-process limits set on a held child before its first instruction. Core dumps are always off. */
public final class Rlimits {
    private Rlimits() {}

    public static void apply(int pid, Limits limits) {
        Sys.prlimit(pid, Sys.RLIMIT_CORE, 0, 0);
        if (limits.cpuTime() != null) {
            long seconds = Math.max(1, (limits.cpuTime().toMillis() + 999) / 1000);
            // SIGXCPU at the soft limit, SIGKILL one second later in case the program ignores it.
            Sys.prlimit(pid, Sys.RLIMIT_CPU, seconds, seconds + 1);
        }
        if (limits.fileSize() > 0) Sys.prlimit(pid, Sys.RLIMIT_FSIZE, limits.fileSize(), limits.fileSize());
        if (limits.openFiles() > 0) Sys.prlimit(pid, Sys.RLIMIT_NOFILE, limits.openFiles(), limits.openFiles());
        if (limits.stack() > 0) Sys.prlimit(pid, Sys.RLIMIT_STACK, limits.stack(), limits.stack());
    }
}
