package dev.cordon.internal.launch;

import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;

/**
 * Copies one of the program's output streams from a pipe to where it was meant to go, counting bytes and
 * cutting it at the output limit. Past the limit the run is ended and the rest is drained and dropped, so
 * that no writer blocks on a full pipe while it is being killed.
 */
public final class OutputRelay {
    private final int source;
    private final int destination;
    private final boolean closeDestination;
    private final long limit;
    private final CompletableFuture<Long> done = new CompletableFuture<>();

    /** {@code source} is the read end of the program's pipe; both descriptors become the relay's. */
    public OutputRelay(int source, int destination, boolean closeDestination, long limit) {
        this.source = source;
        this.destination = destination;
        this.closeDestination = closeDestination;
        this.limit = limit;
    }

    /** Releases the descriptors of a relay whose run never started. */
    public void closeUnstarted() {
        Sys.closeQuietly(source);
        if (closeDestination) Sys.closeQuietly(destination);
    }

    /** Total bytes the program wrote (also those dropped past the limit), once it closed its end. */
    CompletableFuture<Long> done() {
        return done;
    }

    void start(Runnable onExceeded, String name) {
        Thread.ofPlatform().name(name).daemon().start(() -> relay(onExceeded));
    }

    private void relay(Runnable onExceeded) {
        long total = 0;
        boolean exceeded = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(65536);
            while (true) {
                int n;
                try {
                    n = Sys.read(source, buf, buf.byteSize());
                } catch (SyscallException e) {
                    if (e.errno() == Errno.EINTR) continue;
                    break;
                }
                if (n <= 0) break;
                long forward = Math.max(0, Math.min(n, limit - total));
                total += n;
                if (forward > 0) writeAll(buf, forward);
                if (total > limit && !exceeded) {
                    exceeded = true;
                    onExceeded.run();
                }
            }
        } finally {
            Sys.closeQuietly(source);
            if (closeDestination) Sys.closeQuietly(destination);
            done.complete(total);
        }
    }

    private void writeAll(MemorySegment buf, long length) {
        long off = 0;
        while (off < length) {
            try {
                off += Sys.write(destination, buf.asSlice(off), length - off);
            } catch (SyscallException e) {
                if (e.errno() != Errno.EINTR) return; // the reader went away: keep draining, drop the rest
            }
        }
    }
}
