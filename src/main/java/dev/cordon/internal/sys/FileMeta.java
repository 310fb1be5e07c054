package dev.cordon.internal.sys;

import dev.cordon.internal.syscalls.Arch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The file calls the supervisor performs on a program's behalf (metadata reads and changes), and writing
 * results into the program's memory. Hot path: a program may stat thousands of files a second, so nothing
 * here throws for an ordinary failure (ENOENT is an answer, not an error): results are the kernel's value,
 * or minus the errno. Paths are raw bytes, exactly as the program passed them (no charset round trip).
 */
public final class FileMeta {
    private FileMeta() {}

    private static final Arch ARCH = Arch.current();
    private static final int NR_OPENAT2 = ARCH.require("openat2");
    private static final int NR_NEWFSTATAT = ARCH.require("newfstatat");
    private static final int NR_STATX = ARCH.require("statx");
    private static final int NR_FSTATFS = ARCH.require("fstatfs");
    private static final int NR_FACCESSAT2 = ARCH.require("faccessat2");
    private static final int NR_READLINKAT = ARCH.require("readlinkat");
    private static final int NR_GETXATTR = ARCH.require("getxattr");
    private static final int NR_LGETXATTR = ARCH.require("lgetxattr");
    private static final int NR_LISTXATTR = ARCH.require("listxattr");
    private static final int NR_LLISTXATTR = ARCH.require("llistxattr");
    private static final int NR_SETXATTR = ARCH.require("setxattr");
    private static final int NR_REMOVEXATTR = ARCH.require("removexattr");
    private static final int NR_FCHMODAT = ARCH.require("fchmodat");
    private static final int NR_FCHOWNAT = ARCH.require("fchownat");
    private static final int NR_UTIMENSAT = ARCH.require("utimensat");
    private static final int NR_PROCESS_VM_WRITEV = ARCH.require("process_vm_writev");
    private static final int NR_PIDFD_GETFD = ARCH.require("pidfd_getfd");
    private static final int NR_SETFSUID = ARCH.require("setfsuid");
    private static final int NR_SETFSGID = ARCH.require("setfsgid");
    private static final int NR_INOTIFY_ADD_WATCH = ARCH.require("inotify_add_watch");

    /** sizeof(struct stat) as newfstatat writes it: 144 bytes on x86_64, 128 on aarch64 (the generic layout). */
    public static final int STAT_SIZE = ARCH == Arch.X86_64 ? 144 : 128;
    public static final int STATX_SIZE = 256;
    /** sizeof(struct statfs): 120 bytes on both (64-bit words throughout). */
    public static final int STATFS_SIZE = 120;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000, AT_NO_AUTOMOUNT = 0x800,
            AT_EACCESS = 0x200, AT_STATX_SYNC_TYPE = 0x6000;
    public static final long RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_BENEATH = 0x08;
    /** The largest xattr value or list the kernel handles (XATTR_SIZE_MAX, XATTR_LIST_MAX). */
    public static final int XATTR_MAX = 65536;
    private static final int PATH_BYTES = 4097;

    /** A result with data: {@code value} is the kernel's return value or minus the errno. */
    public record Result(long value, byte[] data) {
        public boolean failed() {
            return value < 0;
        }
    }

    /** Per-thread buffers: two paths, one name, and room for the largest result. */
    private record Scratch(MemorySegment path, MemorySegment path2, MemorySegment name, MemorySegment out,
                           MemorySegment iov) {}

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(() -> {
        Arena a = Arena.ofAuto();
        return new Scratch(a.allocate(PATH_BYTES), a.allocate(PATH_BYTES), a.allocate(256), a.allocate(XATTR_MAX, 16),
                a.allocate(32, 8));
    });

    private static long raw(int nr, long a0, long a1, long a2, long a3, long a4, long a5) {
        return Sys.raw(nr, a0, a1, a2, a3, a4, a5);
    }

    private static long cstr(MemorySegment into, byte[] s) {
        if (s.length >= into.byteSize()) throw new IllegalArgumentException("path too long");
        MemorySegment.copy(s, 0, into, JAVA_BYTE, 0, s.length);
        into.set(JAVA_BYTE, s.length, (byte) 0);
        return into.address();
    }

    /** openat2 with {@code struct open_how} {flags, mode 0, resolve}. */
    public static long openat2(int dirfd, byte[] path, long flags, long resolve) {
        Scratch s = SCRATCH.get();
        if (path.length >= PATH_BYTES) return -Errno.ENAMETOOLONG;
        MemorySegment how = s.iov();
        how.set(JAVA_LONG, 0, flags);
        how.set(JAVA_LONG, 8, 0);
        how.set(JAVA_LONG, 16, resolve);
        return raw(NR_OPENAT2, dirfd, cstr(s.path(), path), how.address(), 24, 0, 0);
    }

    public static void close(int fd) {
        if (fd >= 0) raw(Sys.NR_CLOSE, fd, 0, 0, 0, 0, 0);
    }

    private static Result out(Scratch s, long r, long size) {
        return r < 0 ? new Result(r, null) : new Result(r, s.out().asSlice(0, size).toArray(JAVA_BYTE));
    }

    /** newfstatat(fd, path, &st, flags): the struct stat as the kernel wrote it. */
    public static Result fstatat(int fd, byte[] path, int flags) {
        Scratch s = SCRATCH.get();
        long r = raw(NR_NEWFSTATAT, fd, cstr(s.path(), path), s.out().address(), flags, 0, 0);
        return out(s, r, STAT_SIZE);
    }

    public static Result statx(int fd, byte[] path, int flags, int mask) {
        Scratch s = SCRATCH.get();
        long r = raw(NR_STATX, fd, cstr(s.path(), path), flags, mask & 0xffffffffL, s.out().address(), 0);
        return out(s, r, STATX_SIZE);
    }

    public static Result fstatfs(int fd) {
        Scratch s = SCRATCH.get();
        return out(s, raw(NR_FSTATFS, fd, s.out().address(), 0, 0, 0, 0), STATFS_SIZE);
    }

    public static long faccessat2(int fd, byte[] path, int mode, int flags) {
        Scratch s = SCRATCH.get();
        return raw(NR_FACCESSAT2, fd, cstr(s.path(), path), mode, flags, 0, 0);
    }

    /** readlinkat into a buffer of {@code size} bytes (at most 64 KiB): the bytes the kernel wrote. */
    public static Result readlinkat(int fd, byte[] path, int size) {
        Scratch s = SCRATCH.get();
        int n = Math.min(size, XATTR_MAX);
        long r = raw(NR_READLINKAT, fd, cstr(s.path(), path), s.out().address(), n, 0, 0);
        return out(s, r, Math.max(r, 0));
    }

    /** getxattr or lgetxattr into a buffer of {@code size} bytes; size 0 asks for the value's length. */
    public static Result getxattr(byte[] path, byte[] name, int size, boolean noFollow) {
        Scratch s = SCRATCH.get();
        if (name.length >= 256) return new Result(-Errno.ERANGE, null);
        int n = Math.min(size, XATTR_MAX);
        long r = raw(noFollow ? NR_LGETXATTR : NR_GETXATTR, cstr(s.path(), path), cstr(s.name(), name),
                n == 0 ? 0 : s.out().address(), n, 0, 0);
        return out(s, r, n == 0 ? 0 : Math.max(r, 0));
    }

    public static Result listxattr(byte[] path, int size, boolean noFollow) {
        Scratch s = SCRATCH.get();
        int n = Math.min(size, XATTR_MAX);
        long r = raw(noFollow ? NR_LLISTXATTR : NR_LISTXATTR, cstr(s.path(), path), n == 0 ? 0 : s.out().address(),
                n, 0, 0, 0);
        return out(s, r, n == 0 ? 0 : Math.max(r, 0));
    }

    public static long setxattr(byte[] path, byte[] name, byte[] value, int flags) {
        Scratch s = SCRATCH.get();
        if (name.length >= 256) return -Errno.ERANGE;
        if (value.length > XATTR_MAX) return -Errno.E2BIG;
        MemorySegment.copy(value, 0, s.out(), JAVA_BYTE, 0, value.length);
        return raw(NR_SETXATTR, cstr(s.path(), path), cstr(s.name(), name), s.out().address(), value.length, flags, 0);
    }

    public static long removexattr(byte[] path, byte[] name) {
        Scratch s = SCRATCH.get();
        if (name.length >= 256) return -Errno.ERANGE;
        return raw(NR_REMOVEXATTR, cstr(s.path(), path), cstr(s.name(), name), 0, 0, 0, 0);
    }

    public static long fchmodat(int dirfd, byte[] path, int mode) {
        Scratch s = SCRATCH.get();
        return raw(NR_FCHMODAT, dirfd, cstr(s.path(), path), mode & 0xffffffffL, 0, 0, 0);
    }

    public static long fchownat(int dirfd, byte[] path, int uid, int gid, int flags) {
        Scratch s = SCRATCH.get();
        return raw(NR_FCHOWNAT, dirfd, cstr(s.path(), path), uid & 0xffffffffL, gid & 0xffffffffL, flags, 0);
    }

    /** utimensat; {@code times} is null (now) or {sec0, nsec0, sec1, nsec1} (UTIME_NOW and UTIME_OMIT allowed). */
    public static long utimensat(int dirfd, byte[] path, long[] times, int flags) {
        Scratch s = SCRATCH.get();
        long ts = 0;
        if (times != null) {
            for (int i = 0; i < 4; i++) s.iov().set(JAVA_LONG, 8L * i, times[i]);
            ts = s.iov().address();
        }
        return raw(NR_UTIMENSAT, dirfd, cstr(s.path(), path), ts, flags, 0, 0);
    }

    /** SECCOMP_IOCTL_NOTIF_ID_VALID: whether the notified call is still pending (its process alive, its pid its own). */
    public static boolean notificationPending(int listener, long id) {
        return SeccompNative.idValid(listener, SCRATCH.get().iov(), id);
    }

    /**
     * Raw setfsuid and setfsgid: the calling thread's file-system identity only. Leaving uid 0 this way also
     * drops the file capabilities (CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN...) from its effective set; coming
     * back to 0 raises them again. Returns the previous value.
     */
    public static int setfsuid(int uid) {
        return (int) raw(NR_SETFSUID, uid & 0xffffffffL, 0, 0, 0, 0, 0);
    }

    public static int setfsgid(int gid) {
        return (int) raw(NR_SETFSGID, gid & 0xffffffffL, 0, 0, 0, 0, 0);
    }

    /** inotify_add_watch: the watch descriptor, or minus the errno. */
    public static long inotifyAddWatch(int fd, byte[] path, int mask) {
        Scratch s = SCRATCH.get();
        return raw(NR_INOTIFY_ADD_WATCH, fd, cstr(s.path(), path), mask & 0xffffffffL, 0, 0, 0);
    }

    public static long pidfdGetfd(int pidfd, int targetFd) {
        return raw(NR_PIDFD_GETFD, pidfd, targetFd, 0, 0, 0, 0);
    }

    /** Writes {@code data} into another process's memory at {@code address}: bytes written, or minus the errno. */
    public static long processVmWrite(int pid, long address, byte[] data) {
        if (data.length == 0) return 0;
        if (data.length > XATTR_MAX) return -Errno.E2BIG;
        Scratch s = SCRATCH.get();
        MemorySegment.copy(data, 0, s.out(), JAVA_BYTE, 0, data.length);
        return vm(NR_PROCESS_VM_WRITEV, s, pid, 0, address, data.length);
    }

    private static long vm(int nr, Scratch s, int pid, long localOffset, long address, long length) {
        MemorySegment iov = s.iov();
        iov.set(JAVA_LONG, 0, s.out().address() + localOffset);
        iov.set(JAVA_LONG, 8, length);
        iov.set(JAVA_LONG, 16, address);
        iov.set(JAVA_LONG, 24, length);
        return raw(nr, pid, iov.address(), 1, iov.address() + 16, 1, 0);
    }

    /**
     * A NUL-terminated string of at most {@code max} bytes (NUL included) from another process's memory, as raw
     * bytes without the NUL; null with {@code errno[0]} set: EFAULT if unreadable, {@code tooLong} if no NUL
     * came within {@code max} bytes. Read up to the end of the page first: most strings end there, and the next
     * page may not be mapped.
     */
    public static byte[] readCString(int pid, long address, int max, int tooLong, int[] errno) {
        Scratch s = SCRATCH.get();
        if (address == 0) {
            errno[0] = Errno.EFAULT;
            return null;
        }
        byte[] known = Sys.recalled(pid, address);
        if (known != null && known.length < max) return known.clone();
        long got = 0;
        while (got < max) {
            long chunk = Math.min(max - got, 4096 - ((address + got) & 4095));
            long r = vm(NR_PROCESS_VM_READV, s, pid, got, address + got, chunk);
            if (r <= 0) break;
            for (long i = 0; i < r; i++) {
                if (s.out().get(JAVA_BYTE, got + i) == 0) {
                    byte[] str = s.out().asSlice(0, got + i).toArray(JAVA_BYTE);
                    Sys.remember(pid, address, str.clone());
                    return str;
                }
            }
            got += r;
            if (r < chunk) break;
        }
        errno[0] = got >= max ? tooLong : Errno.EFAULT;
        return null;
    }

    private static final int NR_PROCESS_VM_READV = ARCH.require("process_vm_readv");
}
