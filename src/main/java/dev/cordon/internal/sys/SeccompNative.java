package dev.cordon.internal.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** seccomp(2) and the user-notification ioctls (struct layouts from linux/seccomp.h). */
public final class SeccompNative {
    private SeccompNative() {}

    private static final int SECCOMP_SET_MODE_FILTER = 1, SECCOMP_GET_ACTION_AVAIL = 2, SECCOMP_GET_NOTIF_SIZES = 3;
    public static final int FLAG_TSYNC = 1, FLAG_LOG = 2, FLAG_SPEC_ALLOW = 4, FLAG_NEW_LISTENER = 8,
            FLAG_WAIT_KILLABLE_RECV = 32;

    private static final long IOCTL_NOTIF_RECV = 0xC0502100L;
    private static final long IOCTL_NOTIF_SEND = 0xC0182101L;
    private static final long IOCTL_NOTIF_ID_VALID = 0x40082102L;
    private static final long IOCTL_NOTIF_ADDFD = 0x40182103L;
    private static final long IOCTL_NOTIF_SET_FLAGS = 0x40082104L;
    public static final int USER_NOTIF_FLAG_CONTINUE = 1;
    public static final int ADDFD_FLAG_SETFD = 1, ADDFD_FLAG_SEND = 2;

    /** struct seccomp_notif: id u64 @0, pid u32 @8, flags u32 @12, data @16 (nr @16, arch @20, ip @24, args @32). */
    public static final int NOTIF_SIZE = 80;
    public static final int RESP_SIZE = 24;

    /**
     * Installs a filter on the calling thread (and what it spawns). Needs no_new_privs or CAP_SYS_ADMIN.
     * Returns the listener descriptor when {@link #FLAG_NEW_LISTENER} is given, else 0.
     */
    public static int installFilter(byte[] program, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment code = arena.allocate(program.length, 8);
            MemorySegment.copy(program, 0, code, ValueLayout.JAVA_BYTE, 0, program.length);
            MemorySegment fprog = arena.allocate(16);
            fprog.set(JAVA_SHORT, 0, (short) (program.length / 8));
            fprog.set(JAVA_LONG, 8, code.address());
            return (int) Sys.call("seccomp", Sys.NR_SECCOMP, SECCOMP_SET_MODE_FILTER, flags, fprog.address());
        }
    }


    /** Whether the kernel knows a return action (SECCOMP_GET_ACTION_AVAIL). */
    public static boolean actionAvailable(int action) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(JAVA_INT);
            a.set(JAVA_INT, 0, action);
            Sys.call("seccomp", Sys.NR_SECCOMP, SECCOMP_GET_ACTION_AVAIL, 0, a.address());
            return true;
        } catch (SyscallException e) {
            return false;
        }
    }

    /** Whether a filter flag is known to this kernel, probed without installing anything. */
    public static boolean filterFlagKnown(int flag) {
        try {
            // A NULL program with a valid flag set fails with EFAULT; an unknown flag fails with EINVAL first.
            Sys.call("seccomp", Sys.NR_SECCOMP, SECCOMP_SET_MODE_FILTER, flag, 0);
            return true;
        } catch (SyscallException e) {
            return e.errno() != Errno.EINVAL;
        }
    }

    /** Receives one notification into {@code notif} (80 bytes). Returns false if it vanished (ENOENT). */
    public static boolean receive(int listener, MemorySegment notif) {
        notif.fill((byte) 0);
        try {
            Sys.ioctl(listener, IOCTL_NOTIF_RECV, notif);
            return true;
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.EINTR) return false;
            throw e;
        }
    }

    /** Answers a notification. Returns false if the target is gone (ENOENT): nothing more to do for it. */
    public static boolean respond(int listener, MemorySegment resp, long id, long value, int error, int flags) {
        resp.set(JAVA_LONG, 0, id);
        resp.set(JAVA_LONG, 8, value);
        resp.set(JAVA_INT, 16, error);
        resp.set(JAVA_INT, 20, flags);
        try {
            Sys.ioctl(listener, IOCTL_NOTIF_SEND, resp);
            return true;
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) return false;
            throw e;
        }
    }

    /** Whether a notification is still pending, i.e. what was read from the target's memory is its own. */
    public static boolean idValid(int listener, MemorySegment scratch8, long id) {
        scratch8.set(JAVA_LONG, 0, id);
        try {
            Sys.ioctl(listener, IOCTL_NOTIF_ID_VALID, scratch8);
            return true;
        } catch (SyscallException e) {
            return false;
        }
    }

    /** Installs {@code fd} in the target; with {@link #ADDFD_FLAG_SEND} it also answers with the new number. */
    public static int addFd(int listener, long id, int fd, int flags, int newFdFlags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment add = arena.allocate(24);
            add.set(JAVA_LONG, 0, id);
            add.set(JAVA_INT, 8, flags);
            add.set(JAVA_INT, 12, fd);
            add.set(JAVA_INT, 16, 0);
            add.set(JAVA_INT, 20, newFdFlags);
            return (int) Sys.ioctl(listener, IOCTL_NOTIF_ADDFD, add);
        }
    }

    /** SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6): wake the supervisor on the target's CPU. */
    public static boolean setSyncWakeUp(int listener) {
        try {
            Sys.ioctl(listener, IOCTL_NOTIF_SET_FLAGS, 1);
            return true;
        } catch (SyscallException e) {
            return false;
        }
    }

    public static long notifId(MemorySegment n) { return n.get(JAVA_LONG, 0); }
    public static int notifPid(MemorySegment n) { return n.get(JAVA_INT, 8); }
    public static int notifNr(MemorySegment n) { return n.get(JAVA_INT, 16); }
    public static int notifArch(MemorySegment n) { return n.get(JAVA_INT, 20); }
    public static long notifArg(MemorySegment n, int i) { return n.get(JAVA_LONG, 32 + 8L * i); }
}
