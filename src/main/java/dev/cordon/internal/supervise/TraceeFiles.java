package dev.cordon.internal.supervise;

import dev.cordon.internal.sys.Sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Paths as a notified process means them: a string read from its memory, resolved against its working
 * directory or a directory descriptor through /proc. What is read may change the moment after: the result
 * may explain a refusal or decide to refuse, never to allow.
 */
public final class TraceeFiles {
    private TraceeFiles() {}

    public static final int AT_FDCWD = -100;
    private static final int PATH_MAX = 4096;

    /** The path argument at {@code address}, resolved against {@code dirfd}; empty if it cannot be read. */
    public static Optional<Path> resolve(int pid, int dirfd, long address) {
        return resolve(pid, dirfd, address, false);
    }

    /**
     * As {@link #resolve(int, int, long)}; with {@code ownRoot} the process has its own root (a mount namespace),
     * and an absolute path is looked up through /proc/PID/root, i.e. in the process's view, not Cordon's.
     */
    public static Optional<Path> resolve(int pid, int dirfd, long address, boolean ownRoot) {
        String s = Sys.readString(pid, address, PATH_MAX);
        if (s == null || s.isEmpty()) return Optional.empty();
        try {
            Path p = Path.of(s);
            if (p.isAbsolute() && ownRoot) return Optional.of(Path.of("/proc", Integer.toString(pid), "root", s.substring(1)));
            if (p.isAbsolute()) return Optional.of(p);
            Path base = Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid),
                    dirfd == AT_FDCWD ? "cwd" : "fd/" + dirfd));
            return base.isAbsolute() ? Optional.of(base.resolve(p)) : Optional.empty();
        } catch (IOException | InvalidPathException e) {
            return Optional.empty();
        }
    }

    /** The string argument at {@code address} for display, or null. */
    public static String string(int pid, long address) {
        return address == 0 ? null : Sys.readString(pid, address, PATH_MAX);
    }
}
