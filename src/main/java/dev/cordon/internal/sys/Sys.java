package dev.cordon.internal.sys;

import dev.cordon.internal.syscalls.Arch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Typed system calls. Every call goes through the C library's {@code syscall()} with errno captured;
 * a failure becomes a {@link SyscallException} naming the call. Raw syscalls matter here: glibc's
 * {@code setresuid} and {@code setgroups} change every thread of the JVM, the raw ones only the caller.
 */
public final class Sys {
    private Sys() {}

    private static final Arch ARCH = Arch.current();

    static final int NR_READ = ARCH.require("read");
    private static final int NR_PREAD64 = ARCH.require("pread64");
    static final int NR_WRITE = ARCH.require("write");
    static final int NR_CLOSE = ARCH.require("close");
    static final int NR_OPENAT = ARCH.require("openat");
    static final int NR_PIPE2 = ARCH.require("pipe2");
    static final int NR_IOCTL = ARCH.require("ioctl");
    static final int NR_PRCTL = ARCH.require("prctl");
    static final int NR_SECCOMP = ARCH.require("seccomp");
    static final int NR_SETRESUID = ARCH.require("setresuid");
    static final int NR_SETRESGID = ARCH.require("setresgid");
    static final int NR_SETGROUPS = ARCH.require("setgroups");
    static final int NR_CAPSET = ARCH.require("capset");
    static final int NR_PRLIMIT64 = ARCH.require("prlimit64");
    static final int NR_PIDFD_OPEN = ARCH.require("pidfd_open");
    static final int NR_PIDFD_SEND_SIGNAL = ARCH.require("pidfd_send_signal");
    static final int NR_GETTID = ARCH.require("gettid");
    static final int NR_WAITID = ARCH.require("waitid");
    static final int NR_KILL = ARCH.require("kill");
    static final int NR_GETEUID = ARCH.require("geteuid");
    static final int NR_GETEGID = ARCH.require("getegid");
    static final int NR_UNSHARE = ARCH.require("unshare");
    static final int NR_EPOLL_CREATE1 = ARCH.require("epoll_create1");
    static final int NR_EPOLL_CTL = ARCH.require("epoll_ctl");
    static final int NR_EPOLL_PWAIT = ARCH.require("epoll_pwait");
    static final int NR_EVENTFD2 = ARCH.require("eventfd2");
    static final int NR_LANDLOCK_CREATE_RULESET = ARCH.require("landlock_create_ruleset");
    static final int NR_LANDLOCK_ADD_RULE = ARCH.require("landlock_add_rule");
    static final int NR_LANDLOCK_RESTRICT_SELF = ARCH.require("landlock_restrict_self");
    static final int NR_PROCESS_VM_READV = ARCH.require("process_vm_readv");
    static final int NR_MEMFD_CREATE = ARCH.require("memfd_create");
    static final int NR_PTRACE = ARCH.require("ptrace");
    static final int NR_PPOLL = ARCH.require("ppoll");

    /** The raw call; returns the kernel's result or throws with the errno. */
    static long call(String name, int nr, long a0, long a1, long a2, long a3, long a4, long a5) {
        long r = raw(nr, a0, a1, a2, a3, a4, a5);
        if (r < 0) throw new SyscallException(name, (int) -r);
        return r;
    }

    /** The raw call: the kernel's result, or minus the errno (for callers that branch on errnos). */
    static long raw(int nr, long a0, long a1, long a2, long a3, long a4, long a5) {
        MemorySegment capture = Native.capture();
        long r;
        try {
            r = Native.syscall(capture, nr, a0, a1, a2, a3, a4, a5);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return r == -1 ? -Native.errno(capture) : r;
    }

    static long call(String name, int nr, long a0, long a1, long a2) {
        return call(name, nr, a0, a1, a2, 0, 0, 0);
    }

    // --- files and descriptors ------------------------------------------------------------------

    public static final int AT_FDCWD = -100;
    public static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_TRUNC = 01000,
            O_APPEND = 02000, O_NONBLOCK = 04000, O_DIRECTORY = 0200000, O_NOFOLLOW = 0400000,
            O_CLOEXEC = 02000000, O_PATH = 010000000;

    public static int openat(int dirfd, String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocateFrom(path);
            try {
                return (int) call("openat", NR_OPENAT, dirfd, p.address(), flags, mode, 0, 0);
            } catch (SyscallException e) {
                throw new SyscallException("openat", "\"" + path + "\"", e.errno());
            }
        }
    }

    public static int open(String path, int flags, int mode) {
        return openat(AT_FDCWD, path, flags, mode);
    }

    public static void close(int fd) {
        call("close", NR_CLOSE, fd, 0, 0);
    }

    /** Close, ignoring errors: for clean-up paths where the descriptor may already be gone. */
    public static void closeQuietly(int fd) {
        if (fd < 0) return;
        try {
            close(fd);
        } catch (SyscallException ignored) {
            // Nothing useful to do: the descriptor is released either way.
        }
    }

    public static int read(int fd, MemorySegment buffer, long length) {
        return (int) call("read", NR_READ, fd, buffer.address(), length);
    }

    public static int write(int fd, MemorySegment buffer, long length) {
        return (int) call("write", NR_WRITE, fd, buffer.address(), length);
    }

    /** A pipe; [0] is the read end. */
    public static int[] pipe2(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            call("pipe2", NR_PIPE2, fds.address(), flags, 0);
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    public static long ioctl(int fd, long request, long arg) {
        return call("ioctl", NR_IOCTL, fd, request, arg);
    }

    public static long ioctl(int fd, long request, MemorySegment arg) {
        return call("ioctl", NR_IOCTL, fd, request, arg.address());
    }

    // --- credentials and process attributes -----------------------------------------------------

    public static int geteuid() {
        return (int) call("geteuid", NR_GETEUID, 0, 0, 0);
    }

    public static int getegid() {
        return (int) call("getegid", NR_GETEGID, 0, 0, 0);
    }

    /** Raw setresuid: changes the calling thread only. */
    public static void setresuid(int uid) {
        call("setresuid", NR_SETRESUID, uid, uid, uid);
    }

    /** Raw setresgid: changes the calling thread only. */
    public static void setresgid(int gid) {
        call("setresgid", NR_SETRESGID, gid, gid, gid);
    }

    /** Raw setgroups(0, NULL): clears the calling thread's supplementary groups. */
    public static void clearGroups() {
        call("setgroups", NR_SETGROUPS, 0, 0, 0);
    }

    public static final int PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39, PR_CAPBSET_DROP = 24,
            PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_CLEAR_ALL = 4, PR_SET_DUMPABLE = 4;

    public static long prctl(int option, long a2, long a3, long a4, long a5) {
        return call("prctl", NR_PRCTL, option, a2, a3, a4, a5, 0);
    }

    /** Clears the calling thread's effective, permitted and inheritable capability sets. */
    public static void clearCapabilities() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment header = arena.allocate(8);
            header.set(JAVA_INT, 0, 0x20080522); // _LINUX_CAPABILITY_VERSION_3
            header.set(JAVA_INT, 4, 0); // the calling thread
            MemorySegment data = arena.allocate(24); // two zeroed __user_cap_data_struct
            call("capset", NR_CAPSET, header.address(), data.address(), 0);
        }
    }

    public static final int CLONE_FS = 0x00000200, CLONE_FILES = 0x00000400;
    public static final int CLONE_NEWNS = 0x00020000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000,
            CLONE_NEWIPC = 0x08000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;

    /** Moves the calling thread into new namespaces (the pid namespace applies to the children it creates). */
    public static void unshare(int flags) {
        call("unshare", NR_UNSHARE, flags, 0, 0);
    }

    static final int NR_SETHOSTNAME = ARCH.require("sethostname");
    static final int NR_MOUNT = ARCH.require("mount");
    static final int NR_UMOUNT2 = ARCH.require("umount2");
    static final int NR_PIVOT_ROOT = ARCH.require("pivot_root");
    static final int NR_MKDIRAT = ARCH.require("mkdirat");
    static final int NR_SYMLINKAT = ARCH.require("symlinkat");
    static final int NR_CHDIR = ARCH.require("chdir");
    static final int NR_SETNS = ARCH.require("setns");
    static final int NR_FSOPEN = ARCH.require("fsopen");
    static final int NR_FSCONFIG = ARCH.require("fsconfig");
    static final int NR_FSMOUNT = ARCH.require("fsmount");
    static final int NR_MOVE_MOUNT = ARCH.require("move_mount");

    public static final long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32,
            MS_BIND = 4096, MS_REC = 16384, MS_PRIVATE = 1 << 18;
    public static final int MNT_DETACH = 2;

    private static long str(Arena arena, String s) {
        return s == null ? 0 : arena.allocateFrom(s).address();
    }

    public static void mount(String source, String target, String fstype, long flags, String data) {
        try (Arena arena = Arena.ofConfined()) {
            try {
                call("mount", NR_MOUNT, str(arena, source), str(arena, target), str(arena, fstype), flags,
                        str(arena, data), 0);
            } catch (SyscallException e) {
                throw new SyscallException("mount", "\"" + target + "\"", e.errno());
            }
        }
    }

    public static void umount2(String target, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            call("umount2", NR_UMOUNT2, str(arena, target), flags, 0);
        }
    }

    public static void pivotRoot(String newRoot, String putOld) {
        try (Arena arena = Arena.ofConfined()) {
            call("pivot_root", NR_PIVOT_ROOT, str(arena, newRoot), str(arena, putOld), 0);
        }
    }

    /** mkdir; returns false if it already exists. */
    public static boolean mkdir(String path, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            call("mkdirat", NR_MKDIRAT, AT_FDCWD, str(arena, path), mode);
            return true;
        } catch (SyscallException e) {
            if (e.errno() == Errno.EEXIST) return false;
            throw new SyscallException("mkdir", "\"" + path + "\"", e.errno());
        }
    }

    public static void symlink(String target, String linkPath) {
        try (Arena arena = Arena.ofConfined()) {
            call("symlinkat", NR_SYMLINKAT, str(arena, target), AT_FDCWD, str(arena, linkPath));
        }
    }

    public static void chdir(String path) {
        try (Arena arena = Arena.ofConfined()) {
            call("chdir", NR_CHDIR, str(arena, path), 0, 0);
        }
    }

    public static void setns(int fd, int nstype) {
        call("setns", NR_SETNS, fd, nstype, 0);
    }

    public static final int FSCONFIG_SET_FLAG = 0, FSCONFIG_SET_STRING = 1, FSCONFIG_SET_FD = 5, FSCONFIG_CMD_CREATE = 6;
    public static final int MOUNT_ATTR_NOSUID = 2, MOUNT_ATTR_NODEV = 4, MOUNT_ATTR_NOEXEC = 8;
    public static final int MOVE_MOUNT_F_EMPTY_PATH = 4;

    public static int fsopen(String fsname) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) call("fsopen", NR_FSOPEN, str(arena, fsname), 1 /* FSOPEN_CLOEXEC */, 0);
        }
    }

    public static void fsconfig(int fd, int cmd, String key, String value, int aux) {
        try (Arena arena = Arena.ofConfined()) {
            call("fsconfig", NR_FSCONFIG, fd, cmd, str(arena, key), str(arena, value), aux, 0);
        }
    }

    public static int fsmount(int fsfd, int attrs) {
        return (int) call("fsmount", NR_FSMOUNT, fsfd, 1 /* FSMOUNT_CLOEXEC */, attrs);
    }

    public static void moveMount(int fromFd, String toPath) {
        try (Arena arena = Arena.ofConfined()) {
            call("move_mount", NR_MOVE_MOUNT, fromFd, str(arena, ""), AT_FDCWD, str(arena, toPath),
                    MOVE_MOUNT_F_EMPTY_PATH, 0);
        }
    }

    public static void sethostname(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocateFrom(name);
            call("sethostname", NR_SETHOSTNAME, s.address(), name.length(), 0);
        }
    }

    public static final int RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_DATA = 2, RLIMIT_STACK = 3, RLIMIT_CORE = 4,
            RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9;
    public static final long RLIM_INFINITY = -1L;

    public static void prlimit(int pid, int resource, long soft, long hard) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment limit = arena.allocate(16);
            limit.set(JAVA_LONG, 0, soft);
            limit.set(JAVA_LONG, 8, hard);
            call("prlimit64", NR_PRLIMIT64, pid, resource, limit.address(), 0, 0, 0);
        }
    }

    // --- processes ------------------------------------------------------------------------------

    static final int NR_EXIT_GROUP = ARCH.require("exit_group");

    /**
     * Ends the process at once with {@code status}: no shutdown hooks, and none of HotSpot's exit work (which
     * waits up to 300 ms for threads sitting in native calls). Only for a caller that has finished and flushed.
     */
    public static void exitGroup(int status) {
        call("exit_group", NR_EXIT_GROUP, status, 0, 0);
    }

    public static int pidfdOpen(int pid) {
        return (int) call("pidfd_open", NR_PIDFD_OPEN, pid, 0, 0);
    }

    /** pidfd_open's PIDFD_THREAD (O_EXCL; Linux 6.9): a pidfd for one thread, not its thread group. */
    private static final int PIDFD_THREAD = 0200;

    /**
     * A pidfd for the calling thread itself (PIDFD_THREAD, Linux 6.9): pidfd_getfd through it reads this thread's
     * descriptor table, which may be private to it (unshare(CLONE_FILES)). -1 where the kernel has no such flag
     * (EINVAL) or no pidfd_open (ENOSYS).
     */
    public static int pidfdOpenSelfThread() {
        long fd = raw(NR_PIDFD_OPEN, raw(NR_GETTID, 0, 0, 0, 0, 0, 0), PIDFD_THREAD, 0, 0, 0, 0);
        if (fd == -Errno.EINVAL || fd == -Errno.ENOSYS) return -1;
        if (fd < 0) throw new SyscallException("pidfd_open(PIDFD_THREAD)", (int) -fd);
        return (int) fd;
    }

    public static void pidfdSendSignal(int pidfd, int signal) {
        call("pidfd_send_signal", NR_PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0, 0, 0);
    }

    public static void kill(int pid, int signal) {
        call("kill", NR_KILL, pid, signal, 0);
    }

    public static final int SIGKILL = 9, SIGTERM = 15, SIGXCPU = 24, SIGSYS = 31;
    public static final int P_ALL = 0, P_PID = 1, P_PIDFD = 3;
    public static final int WNOHANG = 1, WSTOPPED = 2, WEXITED = 4, WNOWAIT = 0x01000000,
            __WNOTHREAD = 0x20000000, __WALL = 0x40000000;
    /** siginfo si_code values of SIGCHLD / waitid. */
    public static final int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5,
            CLD_CONTINUED = 6;

    /**
     * Reaps the process behind a pidfd (which must have exited) and returns its status and resource use.
     * Only this child is waited for: the JVM's own {@code ProcessBuilder} children are never touched.
     */
    public static ChildExit waitPidfd(int pidfd) {
        return waitExit(P_PIDFD, pidfd, WEXITED);
    }

    /**
     * waitid(idType, id, &info, options, &rusage) for an exit: its status and resource use, or null if
     * WNOHANG found nothing.
     */
    public static ChildExit waitExit(int idType, int id, int options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(128);
            MemorySegment usage = arena.allocate(144);
            call("waitid", NR_WAITID, idType, id, info.address(), options, usage.address(), 0);
            if (info.get(JAVA_INT, 16) == 0) return null;
            int code = info.get(JAVA_INT, 8);
            int status = info.get(JAVA_INT, 24);
            long utimeMicros = usage.get(JAVA_LONG, 0) * 1_000_000 + usage.get(JAVA_LONG, 8);
            long stimeMicros = usage.get(JAVA_LONG, 16) * 1_000_000 + usage.get(JAVA_LONG, 24);
            long maxRssKib = usage.get(JAVA_LONG, 32);
            return code == CLD_EXITED
                    ? new ChildExit(status, 0, utimeMicros, stimeMicros, maxRssKib)
                    : new ChildExit(-1, status, utimeMicros, stimeMicros, maxRssKib);
        }
    }

    /** How a child ended: {@code exitCode} >= 0 if it exited, else {@code signal} > 0. Times in µs. */
    public record ChildExit(int exitCode, int signal, long userMicros, long systemMicros, long maxRssKib) {}

    // --- event plumbing -------------------------------------------------------------------------

    public static final int EPOLLIN = 1, EPOLLERR = 8, EPOLLHUP = 16;
    private static final int POLLNVAL = 0x20;
    private static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;
    /** struct epoll_event is packed on x86_64 (12 bytes), naturally aligned elsewhere (16 bytes). */
    public static final int EPOLL_EVENT_SIZE = ARCH == Arch.X86_64 ? 12 : 16;
    private static final int EPOLL_DATA_OFFSET = ARCH == Arch.X86_64 ? 4 : 8;

    public static int epollCreate() {
        return (int) call("epoll_create1", NR_EPOLL_CREATE1, O_CLOEXEC, 0, 0);
    }

    public static void epollAdd(int epfd, int fd, int events, long token) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(EPOLL_EVENT_SIZE);
            ev.set(JAVA_INT, 0, events);
            ev.set(JAVA_LONG.withByteAlignment(4), EPOLL_DATA_OFFSET, token);
            call("epoll_ctl", NR_EPOLL_CTL, epfd, EPOLL_CTL_ADD, fd, ev.address(), 0, 0);
        }
    }

    public static void epollDelete(int epfd, int fd) {
        call("epoll_ctl", NR_EPOLL_CTL, epfd, EPOLL_CTL_DEL, fd, 0, 0, 0);
    }

    /** Waits for events into {@code events} (room for {@code max} entries); returns how many arrived. */
    public static int epollWait(int epfd, MemorySegment events, int max, int timeoutMillis) {
        try {
            return (int) call("epoll_pwait", NR_EPOLL_PWAIT, epfd, events.address(), max, timeoutMillis, 0, 8);
        } catch (SyscallException e) {
            if (e.errno() == Errno.EINTR) return 0;
            throw e;
        }
    }

    public static int epollEvents(MemorySegment events, int index) {
        return events.get(JAVA_INT, (long) index * EPOLL_EVENT_SIZE);
    }

    public static long epollToken(MemorySegment events, int index) {
        return events.get(JAVA_LONG.withByteAlignment(4), (long) index * EPOLL_EVENT_SIZE + EPOLL_DATA_OFFSET);
    }

    public static final int EFD_CLOEXEC = O_CLOEXEC, EFD_NONBLOCK = O_NONBLOCK;

    public static int eventfd(int flags) {
        return (int) call("eventfd2", NR_EVENTFD2, 0, flags, 0);
    }

    public static void eventfdSignal(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1);
            write(fd, one, 8);
        }
    }

    public static void eventfdDrain(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            read(fd, arena.allocate(JAVA_LONG), 8);
        } catch (SyscallException e) {
            if (e.errno() != Errno.EAGAIN) throw e;
        }
    }

    public static final int MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_HUGETLB = 4, MFD_NOEXEC_SEAL = 8, MFD_EXEC = 0x10;

    public static int memfdCreate(String name, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) call("memfd_create", NR_MEMFD_CREATE, arena.allocateFrom(name).address(), flags & 0xffffffffL, 0);
        }
    }

    /**
     * Reads a NUL-terminated string of at most {@code max} bytes from another process; null if unreadable.
     * What is read may be changed by the process at any moment after: never decide on it alone.
     */
    /**
     * Per-thread memory for reads of a notified process's memory, so that the supervisor's hot path allocates
     * no arena per call: [0,16) local iovec, [16,32) remote iovec, [64, 64 + {@value #TRACEE_CHUNK}) data.
     */
    private static final class TraceeBuffer {
        final MemorySegment segment = Arena.ofAuto().allocate(64 + TRACEE_CHUNK, 16);
        final byte[] bytes = new byte[TRACEE_CHUNK];
        /** For {@link #resolvePath}: [0,4097) the path, [4352,4608) struct statx, [4608,4640) /proc/self/fd/N, [4640,4664) struct open_how, [4672,8768) the link's target. */
        MemorySegment files;
        /** The string read at {@code recallAddress} of {@code recallPid} during the current call, see {@link #beginCallReads}. */
        boolean recallOn;
        int recallPid;
        long recallAddress;
        byte[] recallBytes;
    }

    /**
     * From here to {@link #endCallReads}, this thread decides one notified call: a string read from the
     * program's memory is kept and given again to a second read of the same address (the decision's path, then
     * the log line's), so it is read once and the log shows what was decided on, whatever the program wrote there
     * meanwhile. Only within one call: the next call may use the same buffer for another path.
     */
    public static void beginCallReads() {
        TraceeBuffer b = TRACEE.get();
        b.recallOn = true;
        b.recallBytes = null;
    }

    public static void endCallReads() {
        TraceeBuffer b = TRACEE.get();
        b.recallOn = false;
        b.recallBytes = null;
    }

    /** The string of this call at {@code address}, if it was read already (without its NUL), or null. */
    static byte[] recalled(int pid, long address) {
        TraceeBuffer b = TRACEE.get();
        return b.recallOn && b.recallBytes != null && b.recallPid == pid && b.recallAddress == address
                ? b.recallBytes : null;
    }

    static void remember(int pid, long address, byte[] bytes) {
        TraceeBuffer b = TRACEE.get();
        if (!b.recallOn) return;
        b.recallPid = pid;
        b.recallAddress = address;
        b.recallBytes = bytes;
    }

    private static final int TRACEE_CHUNK = 4096;
    private static final int TRACEE_DATA = 64;
    private static final ThreadLocal<TraceeBuffer> TRACEE = ThreadLocal.withInitial(TraceeBuffer::new);

    /** Reads up to {@code length} (<= TRACEE_CHUNK) bytes into the thread's buffer; returns how many. */
    private static long readChunk(TraceeBuffer b, int pid, long address, int length) {
        MemorySegment s = b.segment;
        s.set(JAVA_LONG, 0, s.address() + TRACEE_DATA);
        s.set(JAVA_LONG, 8, length);
        s.set(JAVA_LONG, 16, address);
        s.set(JAVA_LONG, 24, length);
        long n = call("process_vm_readv", NR_PROCESS_VM_READV, pid, s.address(), 1, s.address() + 16, 1, 0);
        MemorySegment.copy(s, java.lang.foreign.ValueLayout.JAVA_BYTE, TRACEE_DATA, b.bytes, 0, (int) n);
        return n;
    }

    /**
     * A NUL-terminated string of at most {@code max} bytes from another process's memory, or null. Read in
     * chunks that end at page boundaries: one process_vm_readv for a usual path, and a string that ends just
     * before unmapped memory is still read.
     */
    public static String readString(int pid, long address, int max) {
        byte[] known = recalled(pid, address);
        if (known != null && known.length < max) return new String(known, java.nio.charset.StandardCharsets.UTF_8);
        TraceeBuffer b = TRACEE.get();
        byte[] whole = null;
        int have = 0;
        long at = address;
        while (have < max) {
            int chunk = (int) Math.min(max - have, 4096 - (at & 4095));
            long n;
            try {
                n = readChunk(b, pid, at, chunk);
            } catch (SyscallException e) {
                return null;
            }
            for (int i = 0; i < n; i++) {
                if (b.bytes[i] == 0) {
                    byte[] str;
                    if (whole == null) {
                        str = java.util.Arrays.copyOf(b.bytes, i);
                    } else {
                        System.arraycopy(b.bytes, 0, whole, have, i);
                        str = java.util.Arrays.copyOf(whole, have + i);
                    }
                    remember(pid, address, str);
                    return new String(str, java.nio.charset.StandardCharsets.UTF_8);
                }
            }
            if (n < chunk) return null;
            if (whole == null) whole = new byte[max];
            System.arraycopy(b.bytes, 0, whole, have, (int) n);
            have += (int) n;
            at += n;
        }
        return null;
    }

    /** Exactly {@code length} bytes of another process's memory, or null if fewer could be read. */
    public static byte[] readBytes(int pid, long address, int length) {
        byte[] m = readMemory(pid, address, length);
        return m.length == length ? m : null;
    }

    /**
     * Up to {@code length} bytes of another process's memory from {@code address}: fewer if the range runs
     * into unmapped memory, empty if nothing is readable or the process is gone.
     */
    public static byte[] readMemory(int pid, long address, int length) {
        if (length <= TRACEE_CHUNK) {
            TraceeBuffer b = TRACEE.get();
            try {
                long n = readChunk(b, pid, address, Math.max(0, length));
                return java.util.Arrays.copyOf(b.bytes, (int) n);
            } catch (SyscallException e) {
                return new byte[0];
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(length);
            long n;
            try {
                n = processVmRead(pid, address, buf, length);
            } catch (SyscallException e) {
                return new byte[0];
            }
            return buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }

    /** Reads tracee memory with process_vm_readv; returns the number of bytes read. */
    public static long processVmRead(int pid, long remoteAddress, MemorySegment local, long length) {
        TraceeBuffer b = TRACEE.get();
        MemorySegment s = b.segment;
        s.set(JAVA_LONG, 0, local.address());
        s.set(JAVA_LONG, 8, length);
        s.set(JAVA_LONG, 16, remoteAddress);
        s.set(JAVA_LONG, 24, length);
        return call("process_vm_readv", NR_PROCESS_VM_READV, pid, s.address(), 1, s.address() + 16, 1, 0);
    }

    static final int NR_STATX = ARCH.require("statx");
    static final int NR_READLINKAT = ARCH.require("readlinkat");
    static final int NR_OPENAT2 = ARCH.require("openat2");
    private static final long RESOLVE_NO_SYMLINKS = 0x04;
    private static final int AT_EMPTY_PATH = 0x1000, STATX_TYPE = 1, S_IFMT = 0170000, S_IFDIR = 0040000;

    /** What a path names: its canonical form (symlinks resolved, as open(2) follows them) and whether it is a directory. */
    public record PathInfo(String real, boolean directory) {}

    /**
     * Resolves an absolute path as open(2) would, in three system calls for a path without symlinks (openat2
     * with RESOLVE_NO_SYMLINKS, statx, close) and four otherwise (open with O_PATH, statx, readlink of
     * /proc/self/fd/N, close), where a component-by-component realpath makes a readlink per component. Null if
     * it does not exist or cannot be reached. For the supervisor's explanations.
     */
    public static PathInfo resolvePath(String path) {
        return resolvePath(path, true);
    }

    /** As {@link #resolvePath(String)}; without {@code type} no statx is made and {@code directory} is false. */
    public static PathInfo resolvePath(String path, boolean type) {
        TraceeBuffer b = TRACEE.get();
        if (b.files == null) b.files = Arena.ofAuto().allocate(8768, 16);
        MemorySegment s = b.files;
        byte[] utf8 = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (utf8.length >= 4096) return null;
        MemorySegment.copy(utf8, 0, s, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, utf8.length);
        s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, utf8.length, (byte) 0);
        // First without following any symlink (openat2 RESOLVE_NO_SYMLINKS): the usual case, where the path
        // without "." and ".." already is the canonical one and no readlink is needed.
        s.set(JAVA_LONG, 4640, O_PATH | O_CLOEXEC);
        s.set(JAVA_LONG, 4648, 0);
        s.set(JAVA_LONG, 4656, RESOLVE_NO_SYMLINKS);
        int fd;
        boolean plain = true;
        try {
            fd = (int) call("openat2", NR_OPENAT2, AT_FDCWD, s.address(), s.address() + 4640, 24, 0, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) return null;
            plain = false; // ELOOP: a symlink on the way; or openat2 unknown (ENOSYS, Linux < 5.6)
            try {
                fd = (int) call("openat", NR_OPENAT, AT_FDCWD, s.address(), O_PATH | O_CLOEXEC, 0, 0, 0);
            } catch (SyscallException e2) {
                return null;
            }
        }
        try {
            boolean dir = false;
            if (type) {
                s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 4096, (byte) 0); // the empty path for AT_EMPTY_PATH
                call("statx", NR_STATX, fd, s.address() + 4096, AT_EMPTY_PATH, STATX_TYPE, s.address() + 4352, 0);
                dir = (s.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 4352 + 28) & S_IFMT) == S_IFDIR;
            }
            if (plain) return new PathInfo(java.nio.file.Path.of(path).normalize().toString(), dir);
            byte[] link = ("/proc/self/fd/" + fd).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            MemorySegment.copy(link, 0, s, java.lang.foreign.ValueLayout.JAVA_BYTE, 4608, link.length);
            s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 4608 + link.length, (byte) 0);
            int n = (int) call("readlinkat", NR_READLINKAT, AT_FDCWD, s.address() + 4608, s.address() + 4672, 4096, 0, 0);
            if (n <= 0 || n >= 4096 || s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 4672) != '/') return null;
            byte[] real = s.asSlice(4672, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            return new PathInfo(new String(real, java.nio.charset.StandardCharsets.UTF_8), dir);
        } catch (SyscallException e) {
            return null;
        } finally {
            closeQuietly(fd);
        }
    }

    /** Whether {@code fd} reports a hang-up now (ppoll with a zero timeout): a listener no process uses. */
    public static boolean hungUp(int fd) {
        MemorySegment s = TRACEE.get().segment;
        s.set(JAVA_INT, 32, fd);
        s.set(JAVA_INT, 36, EPOLLIN);
        s.set(JAVA_LONG, 40, 0);
        s.set(JAVA_LONG, 48, 0);
        try {
            long n = call("ppoll", NR_PPOLL, s.address() + 32, 1, s.address() + 40, 0, 8, 0);
            return n > 0 && (s.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 38) & (EPOLLHUP | EPOLLERR | POLLNVAL)) != 0;
        } catch (SyscallException e) {
            return false;
        }
    }

    /** Per-thread buffer for {@link #readProcFile} and {@link #readProcLink}: [0,64) the path, [64,4160) data. */
    private static final ThreadLocal<MemorySegment> PROC_BUFFER =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(4160, 16));

    private static MemorySegment procPath(int pid, String name) {
        MemorySegment s = PROC_BUFFER.get();
        byte[] p = ("/proc/" + pid + "/" + name).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (p.length >= 64) throw new IllegalArgumentException(name);
        MemorySegment.copy(p, 0, s, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, p.length);
        s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, p.length, (byte) 0);
        return s;
    }

    /** /proc/PID/NAME opened for reading (close-on-exec), or -1: for a caller that reads it again and again (pread). */
    public static int openProcFile(int pid, String name) {
        long fd = raw(NR_OPENAT, AT_FDCWD, procPath(pid, name).address(), O_RDONLY | O_CLOEXEC, 0, 0, 0);
        return fd < 0 ? -1 : (int) fd;
    }

    /** Up to 4096 bytes of an open file from offset 0 in one pread (a /proc file is generated anew), or null. */
    public static byte[] preadStart(int fd) {
        MemorySegment s = PROC_BUFFER.get();
        long n = raw(NR_PREAD64, fd, s.address() + 64, 4096, 0, 0, 0);
        return n < 0 ? null : s.asSlice(64, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /**
     * /proc/PID/NAME in raw calls (open, read until a short read, close) through a per-thread buffer, for the
     * tracer, which reads one at every exec while the tracee waits; null if it cannot be read (gone). Only for
     * files whose reads fill the buffer while there is more (cmdline, status, not every /proc file does).
     */
    public static byte[] readProcFile(int pid, String name) {
        int fd = openProcFile(pid, name);
        if (fd < 0) return null;
        MemorySegment s = PROC_BUFFER.get();
        try {
            byte[] out = new byte[0];
            while (true) {
                long n = raw(NR_READ, fd, s.address() + 64, 4096, 0, 0, 0);
                if (n == -Errno.EINTR) continue;
                if (n < 0) return null;
                if (n == 0) return out;
                int old = out.length;
                out = java.util.Arrays.copyOf(out, old + (int) n);
                MemorySegment.copy(s, java.lang.foreign.ValueLayout.JAVA_BYTE, 64, out, old, (int) n);
                // A short read is the end for the files read here (cmdline fills the buffer while there is
                // more; status is generated whole): saves a read, which for cmdline maps the tracee's memory.
                if (n < 4096) return out;
            }
        } finally {
            raw(NR_CLOSE, fd, 0, 0, 0, 0, 0);
        }
    }

    /** The target of the symlink /proc/PID/NAME (readlink, one call); null if it cannot be read or is too long. */
    public static String readProcLink(int pid, String name) {
        MemorySegment s = procPath(pid, name);
        long n = raw(NR_READLINKAT, AT_FDCWD, s.address(), s.address() + 64, 4096, 0, 0);
        if (n <= 0 || n >= 4096) return null;
        return new String(s.asSlice(64, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    // --- ptrace ---------------------------------------------------------------------------------
    // Every ptrace request must come from the thread that attached: callers keep to one thread.

    public static final int PTRACE_CONT = 7, PTRACE_DETACH = 17, PTRACE_GETEVENTMSG = 0x4201,
            PTRACE_GETREGSET = 0x4204, PTRACE_SETREGSET = 0x4205, PTRACE_SEIZE = 0x4206,
            PTRACE_INTERRUPT = 0x4207, PTRACE_LISTEN = 0x4208;
    /** Register sets for GETREGSET/SETREGSET (ELF note types). */
    public static final int NT_PRSTATUS = 1, NT_ARM_SYSTEM_CALL = 0x404;

    /**
     * Per-thread scratch memory for the tracer's frequent calls (waitid, GETEVENTMSG, register sets), so that a
     * fork-heavy sandbox does not create an arena per event. Layout: [0,16) iovec, [64,512) data.
     */
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(512, 16));
    private static final int SCRATCH_DATA = 64, SCRATCH_DATA_SIZE = 448;

    private static String ptraceName(int request) {
        return switch (request) {
            case PTRACE_CONT -> "ptrace(PTRACE_CONT)";
            case PTRACE_DETACH -> "ptrace(PTRACE_DETACH)";
            case PTRACE_GETEVENTMSG -> "ptrace(PTRACE_GETEVENTMSG)";
            case PTRACE_GETREGSET -> "ptrace(PTRACE_GETREGSET)";
            case PTRACE_SETREGSET -> "ptrace(PTRACE_SETREGSET)";
            case PTRACE_SEIZE -> "ptrace(PTRACE_SEIZE)";
            case PTRACE_INTERRUPT -> "ptrace(PTRACE_INTERRUPT)";
            case PTRACE_LISTEN -> "ptrace(PTRACE_LISTEN)";
            default -> "ptrace(" + request + ")";
        };
    }

    /** A ptrace request whose data is a plain value (CONT, LISTEN, SEIZE, INTERRUPT, DETACH). */
    public static long ptrace(int request, int pid, long addr, long data) {
        return call(ptraceName(request), NR_PTRACE, request, pid, addr, data, 0, 0);
    }

    /** PTRACE_GETEVENTMSG: the new pid after a fork/clone event, the former tid after an exec event. */
    public static long ptraceGetEventMsg(int pid) {
        MemorySegment s = SCRATCH.get();
        s.set(JAVA_LONG, SCRATCH_DATA, 0);
        call(ptraceName(PTRACE_GETEVENTMSG), NR_PTRACE, PTRACE_GETEVENTMSG, pid, 0, s.address() + SCRATCH_DATA, 0, 0);
        return s.get(JAVA_LONG, SCRATCH_DATA);
    }

    /**
     * PTRACE_GETREGSET into {@code into} (as 64-bit words); returns the size in bytes the kernel filled, which
     * tells the register layout (a 32-bit tracee on a 64-bit kernel gives a smaller set).
     */
    public static int ptraceGetRegset(int pid, int type, long[] into) {
        int bytes = Math.min(into.length * 8, SCRATCH_DATA_SIZE);
        MemorySegment s = SCRATCH.get();
        s.asSlice(SCRATCH_DATA, bytes).fill((byte) 0);
        s.set(JAVA_LONG, 0, s.address() + SCRATCH_DATA);
        s.set(JAVA_LONG, 8, bytes);
        call(ptraceName(PTRACE_GETREGSET), NR_PTRACE, PTRACE_GETREGSET, pid, type, s.address(), 0, 0);
        int filled = (int) s.get(JAVA_LONG, 8);
        MemorySegment.copy(s, JAVA_LONG, SCRATCH_DATA, into, 0, (filled + 7) / 8);
        return filled;
    }

    /** PTRACE_SETREGSET of the first {@code bytes} bytes of {@code words} (little-endian words). */
    public static void ptraceSetRegset(int pid, int type, long[] words, int bytes) {
        if (bytes > SCRATCH_DATA_SIZE || bytes > words.length * 8) throw new IllegalArgumentException("bytes " + bytes);
        MemorySegment s = SCRATCH.get();
        MemorySegment.copy(words, 0, s, JAVA_LONG, SCRATCH_DATA, (bytes + 7) / 8);
        s.set(JAVA_LONG, 0, s.address() + SCRATCH_DATA);
        s.set(JAVA_LONG, 8, bytes);
        call(ptraceName(PTRACE_SETREGSET), NR_PTRACE, PTRACE_SETREGSET, pid, type, s.address(), 0, 0);
    }

    /** One waitid result: {@code pid} (a tid for threads), {@code code} (CLD_*), {@code status} (si_status). */
    public record WaitEvent(int pid, int code, int status) {}

    /**
     * waitid(idtype, id, &info, options, NULL); null when WNOHANG found nothing. For a ptrace stop, si_status is
     * the full stop code: the signal in the low byte and the PTRACE_EVENT_* in the next one.
     */
    public static WaitEvent waitid(int idType, int id, int options) {
        MemorySegment info = SCRATCH.get().asSlice(SCRATCH_DATA, 128);
        info.fill((byte) 0);
        call("waitid", NR_WAITID, idType, id, info.address(), options, 0, 0);
        int pid = info.get(JAVA_INT, 16);
        if (pid == 0) return null;
        return new WaitEvent(pid, info.get(JAVA_INT, 8), info.get(JAVA_INT, 24));
    }
}
