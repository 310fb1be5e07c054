package dev.cordon.internal.sys;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Java streams over raw descriptors (pipe ends to a sandboxed program). Each stream owns its descriptor. */
public final class FdStreams {
    private FdStreams() {}

    private static final int CHUNK = 64 * 1024;

    public static InputStream input(int fd) {
        return new InputStream() {
            private boolean closed;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) == 1 ? one[0] & 0xff : -1;
            }

            @Override
            public synchronized int read(byte[] b, int off, int len) throws IOException {
                if (closed) throw new IOException("stream closed");
                if (len == 0) return 0;
                try (Arena arena = Arena.ofConfined()) {
                    int n = Math.min(len, CHUNK);
                    MemorySegment buf = arena.allocate(n);
                    int got;
                    while (true) {
                        try {
                            got = Sys.read(fd, buf, n);
                            break;
                        } catch (SyscallException e) {
                            if (e.errno() != Errno.EINTR) throw new IOException(e.getMessage(), e);
                        }
                    }
                    if (got == 0) return -1;
                    MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, b, off, got);
                    return got;
                }
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    Sys.closeQuietly(fd);
                }
            }
        };
    }

    public static OutputStream output(int fd) {
        return new OutputStream() {
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                if (closed) throw new IOException("stream closed");
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(Math.max(1, Math.min(len, CHUNK)));
                    while (len > 0) {
                        int n = Math.min(len, CHUNK);
                        MemorySegment.copy(b, off, buf, ValueLayout.JAVA_BYTE, 0, n);
                        int done = 0;
                        while (done < n) {
                            try {
                                done += Sys.write(fd, buf.asSlice(done), n - done);
                            } catch (SyscallException e) {
                                if (e.errno() != Errno.EINTR) throw new IOException(e.getMessage(), e);
                            }
                        }
                        off += n;
                        len -= n;
                    }
                }
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    Sys.closeQuietly(fd);
                }
            }
        };
    }
}
