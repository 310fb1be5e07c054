package dev.cordon.internal.launch;

import dev.cordon.internal.sys.Sys;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The names (comm) of a run's processes and threads, as logged with each supervised call. Read anew at every call
 * (exec, prctl(PR_SET_NAME) and writes to /proc/PID/comm change it, and the log must say what it was), but
 * through a descriptor of /proc/TID/comm kept open per thread: one pread instead of open, read and close. A
 * descriptor outlives its thread only as a file that fails to read (the kernel binds it to that task, not to the
 * number): then it is opened again, for whoever has the number now. All closed at the end of the run.
 */
final class ProcessNames implements AutoCloseable {
    /** Descriptors kept at most: a run with more threads than this starts over (closing them all). */
    private static final int MAX_OPEN = 64;

    private final Map<Integer, Integer> open = new HashMap<>();
    private boolean closed;

    /** The name of thread {@code tid}, or "?" if it is gone. */
    synchronized String of(int tid) {
        Integer fd = open.get(tid);
        byte[] comm = fd == null ? null : Sys.preadStart(fd);
        if (comm == null) {
            if (fd != null) Sys.closeQuietly(open.remove(tid));
            if (closed) return read(tid);
            if (open.size() >= MAX_OPEN) closeAll();
            int f = Sys.openProcFile(tid, "comm");
            if (f < 0) return "?";
            open.put(tid, f);
            comm = Sys.preadStart(f);
            if (comm == null) return "?";
        }
        return new String(comm, StandardCharsets.UTF_8).strip();
    }

    private static String read(int tid) {
        byte[] comm = Sys.readProcFile(tid, "comm");
        return comm == null ? "?" : new String(comm, StandardCharsets.UTF_8).strip();
    }

    private void closeAll() {
        for (int fd : open.values()) Sys.closeQuietly(fd);
        open.clear();
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeAll();
    }
}
