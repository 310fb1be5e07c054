package dev.cordon.internal.limits;

import dev.cordon.internal.launch.Credentials;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A long-lived platform thread running with a sandbox user's uid and gid (thread credentials, raw
 * syscalls), for the calls the kernel allows between processes of one user: prlimit on a held child when
 * Cordon runs as root without CAP_SYS_RESOURCE, as in many containers. It holds no capability.
 */
public final class UserThread {
    private static final Map<Long, UserThread> THREADS = new ConcurrentHashMap<>();

    private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();

    private UserThread(int uid, int gid, int lastCap) {
        Thread t = Thread.ofPlatform().name("cordon-user-" + uid).daemon().unstarted(() -> serve(uid, gid, lastCap));
        t.start();
    }

    /** The thread for a uid/gid pair, created on first use. */
    public static UserThread forUser(int uid, int gid, int lastCap) {
        return THREADS.computeIfAbsent(((long) uid << 32) | (gid & 0xffffffffL), k -> new UserThread(uid, gid, lastCap));
    }

    public void submit(Runnable task) {
        tasks.add(task);
    }

    private void serve(int uid, int gid, int lastCap) {
        Credentials.dropToUser(uid, gid, lastCap);
        while (true) {
            try {
                tasks.take().run();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                System.err.println("cordon: " + Thread.currentThread().getName() + ": " + e);
            }
        }
    }
}
