package dev.cordon.internal.ptrace;

import dev.cordon.internal.sys.Sys;

/** How a traced process ended: {@code code} >= 0 if it exited, else killed by {@code signal}. */
public record ExitStatus(int code, int signal, boolean coreDumped) {
    /** The tracee vanished without an exit report (waitid said ECHILD). */
    public static final ExitStatus UNKNOWN = new ExitStatus(-1, 0, false);

    static ExitStatus of(int cldCode, int status) {
        return cldCode == Sys.CLD_EXITED
                ? new ExitStatus(status, 0, false)
                : new ExitStatus(-1, status, cldCode == Sys.CLD_DUMPED);
    }

    public boolean exited() {
        return code >= 0;
    }

    @Override
    public String toString() {
        if (this.equals(UNKNOWN)) return "unknown";
        return code >= 0 ? "exit " + code : "signal " + signal + (coreDumped ? " (core)" : "");
    }
}
