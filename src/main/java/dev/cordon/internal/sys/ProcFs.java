package dev.cordon.internal.sys;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads files under /proc and /sys (cgroup files). Not with {@code Files.readString}: it sizes its read from
 * the file's reported length and returns "4" for a /proc/sys file holding "40" (seen with JDK 25). Read to
 * end of file with open, read and close only: a JDK stream adds three fstat and two lseek calls per file, and
 * the supervisor reads six cgroup files per run.
 */
public final class ProcFs {
    private ProcFs() {}

    private static final int CHUNK = 4096;

    public static String read(Path file) throws IOException {
        String name = file.toString();
        try (Arena arena = Arena.ofConfined()) {
            long fd = Sys.raw(Sys.NR_OPENAT, Sys.AT_FDCWD, arena.allocateFrom(name).address(),
                    Sys.O_RDONLY | Sys.O_CLOEXEC, 0, 0, 0);
            if (fd < 0) throw failure(name, (int) -fd);
            try {
                MemorySegment buf = arena.allocate(CHUNK);
                ByteArrayOutputStream out = new ByteArrayOutputStream(256);
                while (true) {
                    long n = Sys.raw(Sys.NR_READ, fd, buf.address(), CHUNK, 0, 0, 0);
                    if (n == -Errno.EINTR) continue;
                    if (n < 0) throw failure(name, (int) -n);
                    if (n == 0) return out.toString(StandardCharsets.UTF_8);
                    out.writeBytes(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
                }
            } finally {
                Sys.raw(Sys.NR_CLOSE, fd, 0, 0, 0, 0, 0);
            }
        }
    }

    /** The exceptions Files would throw, which callers tell apart (a missing file is often expected). */
    private static IOException failure(String file, int errno) {
        return switch (errno) {
            case Errno.ENOENT, Errno.ESRCH -> new NoSuchFileException(file);
            case Errno.EACCES, Errno.EPERM -> new AccessDeniedException(file);
            default -> new FileSystemException(file, null, Errno.describe(errno));
        };
    }
}
