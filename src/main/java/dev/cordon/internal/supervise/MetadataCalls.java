package dev.cordon.internal.supervise;

import dev.cordon.internal.landlock.Visibility;
import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.FileMeta;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;
import dev.cordon.internal.syscalls.Arch;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;

/**
 * Metadata calls by path, which Landlock does not govern: reads (the stat family, access, readlink, getxattr,
 * listxattr, statfs, chdir, and O_PATH opens, whose descriptors fstat reads) fail with ENOENT for what lies
 * outside the policy ({@link Visibility}), and changes (chmod, chown, utimes, setxattr, removexattr) are
 * allowed beneath a write rule only.
 *
 * <p>The supervisor's rule: <b>a decision to allow is only sound if the program cannot change what was decided
 * on.</b> A path string in the program's memory can be rewritten by another thread the moment after it was
 * read, so no call here is decided on a string and then continued. The supervisor opens the object itself
 * (O_PATH, {@link ObjectResolver}), decides on that object's resolved path, performs the call on that same
 * object, writes the result into the program's memory and answers with the return value. The two exceptions,
 * chdir and the O_PATH open of a visible object, are explained at {@link #chdir} and {@link #openPath}. Calls on a descriptor (fchmod, fchown, fsetxattr, futimens) are
 * performed on the object the descriptor names, opened through /proc/PID/fd/N, not continued: another thread
 * may dup2 a different file onto the number meanwhile.
 *
 * <p>Credentials: the call is performed with the program's. An ordinary user's supervisor thread has them (same
 * uid, gids and groups; no capabilities; Landlock does not govern these calls). As root, which would pass every
 * permission check the program fails, the frequent reads (stat, access, readlink, statfs, chdir, O_PATH opens)
 * run on the supervisor thread with its file-system identity switched to the sandbox's uid and gid for the
 * call (setfsuid drops the file capabilities with it; the thread's supplementary groups are cleared once):
 * the permission checks of a lookup and of access with AT_EACCESS are then the program's (kept between reads:
 * {@link FsIdentity}). Changes and xattr
 * reads, where other capabilities matter (trusted.* xattrs need CAP_SYS_ADMIN), run on the sandbox user's
 * {@link Executor} instead: a thread with the sandbox's uid and gid, no groups and no capabilities.
 */
public final class MetadataCalls implements AutoCloseable {
    /** Reports a refused call: errno, reason, and the call as shown (with the path decided on). */
    public interface Reporter {
        void refused(Notification n, int errno, String reason, String call);
    }

    private static final Arch ARCH = Arch.current();
    private static int nr(String name) {
        return ARCH.number(name).orElse(-2);
    }

    private static final int STAT = nr("stat"), LSTAT = nr("lstat"), NEWFSTATAT = nr("newfstatat"), STATX = nr("statx"),
            ACCESS = nr("access"), FACCESSAT = nr("faccessat"), FACCESSAT2 = nr("faccessat2"),
            READLINK = nr("readlink"), READLINKAT = nr("readlinkat"), GETXATTR = nr("getxattr"),
            LGETXATTR = nr("lgetxattr"), LISTXATTR = nr("listxattr"), LLISTXATTR = nr("llistxattr"),
            STATFS = nr("statfs"), CHDIR = nr("chdir"), INOTIFY_ADD_WATCH = nr("inotify_add_watch"), OPEN = nr("open"), OPENAT = nr("openat"),
            CHMOD = nr("chmod"), FCHMOD = nr("fchmod"), FCHMODAT = nr("fchmodat"), CHOWN = nr("chown"),
            LCHOWN = nr("lchown"), FCHOWN = nr("fchown"), FCHOWNAT = nr("fchownat"), UTIME = nr("utime"),
            UTIMES = nr("utimes"), FUTIMESAT = nr("futimesat"), UTIMENSAT = nr("utimensat"),
            SETXATTR = nr("setxattr"), LSETXATTR = nr("lsetxattr"), FSETXATTR = nr("fsetxattr"),
            REMOVEXATTR = nr("removexattr"), LREMOVEXATTR = nr("lremovexattr"), FREMOVEXATTR = nr("fremovexattr");

    private static final int AT_FDCWD = TraceeFiles.AT_FDCWD;
    private static final int NOFOLLOW = FileMeta.AT_SYMLINK_NOFOLLOW, EMPTY_PATH = FileMeta.AT_EMPTY_PATH;
    private static final int PATH_MAX = 4096;
    private static final String NOT_WRITABLE = "not in write rules";
    private static final String HIDDEN = "not under any rule: hidden";

    private final Visibility visibility;
    private final boolean hide;
    private final boolean reportHidden;
    /** Whether metadata changes are decided here (no mount namespace: its read-only mounts refuse them). */
    private final boolean changes;
    private final Reporter reporter;
    private final Executor asUser;
    /**
     * The rule directories held open for the fast lookup of reads: opened at the first read (a launch that fails
     * before its program runs opens nothing), closed at the end of the run.
     */
    private RuleRoots roots;
    private boolean closed;
    private final int uid, gid;
    /**
     * Whether this thread (root's supervisor thread) had its supplementary groups cleared and can switch its
     * file-system identity; null until asked.
     */
    private static final ThreadLocal<Boolean> GROUPS_CLEARED = new ThreadLocal<>();

    /**
     * {@code hide}: metadata reads outside the policy fail with ENOENT; {@code changes}: changes are decided here;
     * {@code reportHidden}: such reads are reported as violations too (audit level all); {@code asUser}: where
     * to perform calls with the program's credentials ({@code uid}, {@code gid}), or null for the calling thread
     * (an ordinary user).
     */
    public MetadataCalls(Visibility visibility, boolean hide, boolean changes, boolean reportHidden, Reporter reporter,
                         Executor asUser, int uid, int gid) {
        this.changes = changes;
        this.uid = uid;
        this.gid = gid;
        this.visibility = visibility;
        this.hide = hide;
        this.reportHidden = reportHidden;
        this.reporter = reporter;
        this.asUser = asUser;
    }

    private synchronized RuleRoots roots() {
        if (roots == null && !closed) roots = new RuleRoots(visibility.ruleRoots());
        return roots;
    }

    /** Closes the rule directories held open: at the end of the run. */
    @Override
    public synchronized void close() {
        closed = true;
        if (roots != null) roots.close();
        roots = null;
    }

    /** Whether a notification of this syscall is handled here. */
    public boolean handles(int nr, long[] args) {
        if (nr < 0) return false;
        if (nr == OPEN || nr == OPENAT) return hide && (args[nr == OPEN ? 1 : 2] & Sys.O_PATH) != 0;
        if (hide && (nr == STAT || nr == LSTAT || nr == NEWFSTATAT || nr == STATX || nr == ACCESS || nr == FACCESSAT
                || nr == FACCESSAT2 || nr == READLINK || nr == READLINKAT || nr == GETXATTR || nr == LGETXATTR
                || nr == LISTXATTR || nr == LLISTXATTR || nr == STATFS || nr == CHDIR || nr == INOTIFY_ADD_WATCH)) {
            return true;
        }
        return changes && (nr == CHMOD || nr == FCHMOD || nr == FCHMODAT || nr == CHOWN || nr == LCHOWN || nr == FCHOWN
                || nr == FCHOWNAT || nr == UTIME || nr == UTIMES || nr == FUTIMESAT || nr == UTIMENSAT
                || nr == SETXATTR || nr == LSETXATTR || nr == FSETXATTR || nr == REMOVEXATTR || nr == LREMOVEXATTR
                || nr == FREMOVEXATTR);
    }

    /** Decides and performs a handled call; as root on the sandbox user's thread, answering from there. */
    public Decision decide(Notification n) {
        if (asUser == null) return perform(n);
        int nr = n.nr();
        if (nr == STAT || nr == LSTAT || nr == NEWFSTATAT || nr == STATX || nr == ACCESS || nr == FACCESSAT
                || nr == FACCESSAT2 || nr == READLINK || nr == READLINKAT || nr == STATFS || nr == CHDIR
                || nr == OPEN || nr == OPENAT || nr == INOTIFY_ADD_WATCH) {
            if (!canSwitch()) return onUserThread(n);
            // Kept after the call: the next read of this sandbox needs it again (FsIdentity).
            FsIdentity.become(uid, gid);
            return perform(n);
        }
        return onUserThread(n);
    }

    /**
     * Whether this thread can take the program's file-system identity: it needs CAP_SETUID and CAP_SETGID (and
     * CAP_SETGID to drop its groups), which root in a container may lack. Asked once per thread; setfsuid reports
     * no failure, so the switch is checked by asking again.
     */
    private boolean canSwitch() {
        Boolean ok = GROUPS_CLEARED.get();
        if (ok == null) {
            try {
                Sys.clearGroups();
                int oldUid = FileMeta.setfsuid(uid);
                int oldGid = FileMeta.setfsgid(gid);
                ok = FileMeta.setfsuid(uid) == uid && FileMeta.setfsgid(gid) == gid;
                FileMeta.setfsuid(oldUid);
                FileMeta.setfsgid(oldGid);
            } catch (SyscallException e) {
                ok = false;
            }
            GROUPS_CLEARED.set(ok);
        }
        return ok;
    }

    private Decision onUserThread(Notification n) {
        asUser.execute(() -> {
            Decision d;
            try {
                d = perform(n);
            } catch (RuntimeException e) {
                d = Decision.fail(Errno.EPERM); // fail closed
            }
            if (!(d instanceof Decision.Answered)) n.answer(d);
        });
        return Decision.ANSWERED;
    }

    /** A failure of the call: minus the errno. */
    private static final class Fail extends RuntimeException {
        final int errno;

        Fail(int errno) {
            super(null, null, false, false);
            this.errno = errno;
        }
    }

    private Decision perform(Notification n) {
        try {
            return dispatch(n);
        } catch (Fail f) {
            return Decision.fail(f.errno);
        }
    }

    private Decision dispatch(Notification n) {
        int nr = n.nr();
        long[] a = n.args();
        if (nr == STAT || nr == LSTAT) return stat(n, AT_FDCWD, a[0], a[1], nr == LSTAT ? NOFOLLOW : 0);
        if (nr == NEWFSTATAT) return stat(n, (int) a[0], a[1], a[2], (int) a[3]);
        if (nr == STATX) return statx(n, (int) a[0], a[1], (int) a[2], (int) a[3], a[4]);
        if (nr == ACCESS) return access(n, AT_FDCWD, a[0], (int) a[1], 0);
        if (nr == FACCESSAT) return access(n, (int) a[0], a[1], (int) a[2], 0);
        if (nr == FACCESSAT2) return access(n, (int) a[0], a[1], (int) a[2], (int) a[3]);
        if (nr == READLINK) return readlink(n, AT_FDCWD, a[0], a[1], (int) a[2]);
        if (nr == READLINKAT) return readlink(n, (int) a[0], a[1], a[2], (int) a[3]);
        if (nr == GETXATTR || nr == LGETXATTR) return getxattr(n, a[0], a[1], a[2], (int) a[3], nr == LGETXATTR);
        if (nr == LISTXATTR || nr == LLISTXATTR) return listxattr(n, a[0], a[1], (int) a[2], nr == LLISTXATTR);
        if (nr == STATFS) return statfs(n, a[0], a[1]);
        if (nr == CHDIR) return chdir(n, a[0]);
        if (nr == INOTIFY_ADD_WATCH) return inotifyAddWatch(n, (int) a[0], a[1], (int) a[2]);
        if (nr == OPEN) return openPath(n, AT_FDCWD, a[0], (int) a[1]);
        if (nr == OPENAT) return openPath(n, (int) a[0], a[1], (int) a[2]);
        return change(n);
    }

    // --- reads --------------------------------------------------------------------------------------------

    /**
     * The object a read names, or a failure: ENOENT for what is hidden. With {@code emptyPath} and "" the
     * object is the descriptor itself, which the program holds: it may read its metadata whatever it names
     * (an inherited descriptor may name a hidden file; fstat would tell the same).
     */
    private ObjectResolver.Found object(Notification n, int dirfd, long pathAddr, boolean follow, boolean emptyPath,
                                        int extra) {
        // The rule: allowing is sound only if the program cannot change what was decided on. Decided here on the
        // object the supervisor opened itself, and the call is then performed on that object, never continued.
        // A NULL path with AT_EMPTY_PATH names the descriptor, as "" does (Linux 6.11).
        byte[] path = pathAddr == 0 && emptyPath ? ObjectResolver.EMPTY : pathArg(n, pathAddr);
        int[] errno = new int[1];
        ObjectResolver.Found f = ObjectResolver.open(n.pid(), dirfd, path, follow, emptyPath, extra, errno, roots());
        if (f == null) throw new Fail(failure(n, dirfd, path, errno[0]));
        if (path.length > 0 && !ObjectResolver.visible(visibility, f.real()) && !ownProc(n.pid(), f.real())) {
            FileMeta.close(f.fd());
            if (reportHidden) {
                reporter.refused(n, Errno.ENOENT, HIDDEN, CallDecoder.decode(ARCH, n, shown(f.real())));
            }
            throw new Fail(Errno.ENOENT);
        }
        return f;
    }

    /**
     * The program's own /proc directory (and /proc on the way to it) is visible: readlink("/proc/self/exe") is
     * how many programs find themselves, and what lies there describes the program, not the file tree. An object
     * reached through its magic links (root, cwd, fd/N) is judged by where it is, not by the way there.
     */
    private static boolean ownProc(int tid, String real) {
        if (real == null || !real.startsWith("/proc")) return false;
        if (real.equals("/proc")) return true;
        String own = "/proc/" + ObjectResolver.tgidOf(tid);
        return real.equals(own) || real.startsWith(own + "/");
    }

    /**
     * A lookup failed with {@code errno}. Other failures than ENOENT tell something about the object where
     * the lookup stopped (ENOTDIR: it is a file; EACCES: a directory one may not search): they are passed on
     * only when that object is visible. Found by retrying without the last component.
     */
    private int failure(Notification n, int dirfd, byte[] path, int errno) {
        if (errno == Errno.ENOENT || errno == Errno.EBADF || errno == Errno.ENAMETOOLONG || errno == Errno.EFAULT) {
            return errno;
        }
        int end = path.length;
        while (end > 0 && path[end - 1] == '/') end--;
        int slash = end - 1;
        while (slash >= 0 && path[slash] != '/') slash--;
        byte[] parent = slash < 0 ? ObjectResolver.EMPTY : slash == 0 ? new byte[] {'/'}
                : java.util.Arrays.copyOf(path, slash);
        int[] e = new int[1];
        ObjectResolver.Found p = ObjectResolver.open(n.pid(), dirfd, parent, true, true, 0, e);
        if (p == null) return parent.length == 0 ? errno : failure(n, dirfd, parent, e[0]) == Errno.ENOENT ? Errno.ENOENT : errno;
        FileMeta.close(p.fd());
        return ObjectResolver.visible(visibility, p.real()) || ownProc(n.pid(), p.real()) ? errno : Errno.ENOENT;
    }

    private Decision stat(Notification n, int dirfd, long pathAddr, long buf, int flags) {
        if ((flags & ~(NOFOLLOW | EMPTY_PATH | FileMeta.AT_NO_AUTOMOUNT)) != 0) return Decision.fail(Errno.EINVAL);
        ObjectResolver.Found f = object(n, dirfd, pathAddr, (flags & NOFOLLOW) == 0, (flags & EMPTY_PATH) != 0, 0);
        try {
            FileMeta.Result r = FileMeta.fstatat(f.fd(), ObjectResolver.EMPTY, EMPTY_PATH);
            return reply(n, r, buf);
        } finally {
            FileMeta.close(f.fd());
        }
    }

    private Decision statx(Notification n, int dirfd, long pathAddr, int flags, int mask, long buf) {
        if ((flags & ~(NOFOLLOW | EMPTY_PATH | FileMeta.AT_NO_AUTOMOUNT | FileMeta.AT_STATX_SYNC_TYPE)) != 0
                || (flags & FileMeta.AT_STATX_SYNC_TYPE) == FileMeta.AT_STATX_SYNC_TYPE || mask < 0) {
            return Decision.fail(Errno.EINVAL);
        }
        ObjectResolver.Found f = object(n, dirfd, pathAddr, (flags & NOFOLLOW) == 0, (flags & EMPTY_PATH) != 0, 0);
        try {
            FileMeta.Result r = FileMeta.statx(f.fd(), ObjectResolver.EMPTY,
                    EMPTY_PATH | (flags & FileMeta.AT_STATX_SYNC_TYPE), mask);
            return reply(n, r, buf);
        } finally {
            FileMeta.close(f.fd());
        }
    }

    private Decision access(Notification n, int dirfd, long pathAddr, int mode, int flags) {
        if ((mode & ~7) != 0 || (flags & ~(NOFOLLOW | EMPTY_PATH | FileMeta.AT_EACCESS)) != 0) {
            return Decision.fail(Errno.EINVAL);
        }
        ObjectResolver.Found f = object(n, dirfd, pathAddr, (flags & NOFOLLOW) == 0, (flags & EMPTY_PATH) != 0, 0);
        try {
            // Landlock does not govern access(2) either: the same answer as the kernel would give the program.
            // With AT_EACCESS: checked with the file-system identity, which is the program's here (see above);
            // the program's real and effective ids are the same (no_new_privs: no set-user-ID execution).
            long r = FileMeta.faccessat2(f.fd(), ObjectResolver.EMPTY, mode, EMPTY_PATH | FileMeta.AT_EACCESS);
            return r < 0 ? Decision.fail((int) -r) : value(0);
        } finally {
            FileMeta.close(f.fd());
        }
    }

    private Decision readlink(Notification n, int dirfd, long pathAddr, long buf, int size) {
        if (size <= 0) return Decision.fail(Errno.EINVAL);
        ObjectResolver.Found f = object(n, dirfd, pathAddr, false, true, 0);
        try {
            FileMeta.Result r;
            if ("/proc/self".equals(f.real()) || "/proc/thread-self".equals(f.real())) {
                // Read here they would name the JVM.
                String self = ObjectResolver.tgidOf(n.pid()) + (f.real().endsWith("thread-self") ? "/task/" + n.pid() : "");
                byte[] b = self.getBytes(StandardCharsets.ISO_8859_1);
                b = java.util.Arrays.copyOf(b, Math.min(b.length, size));
                r = new FileMeta.Result(b.length, b);
            } else if (f.real() != null && ObjectResolver.foreignProc(n.pid(), f.real())
                    && ObjectResolver.isSymlink(f.fd())) {
                // Another process's magic link (fd/N, cwd, root, exe): read here with the supervisor's rights,
                // which the program's Landlock domain (and, as root, CAP_SYS_PTRACE) would not give it.
                r = new FileMeta.Result(-Errno.EACCES, null);
            } else {
                r = FileMeta.readlinkat(f.fd(), ObjectResolver.EMPTY, size);
                // On a descriptor that is no symbolic link, readlinkat with "" says ENOENT; the kernel says
                // EINVAL for a path naming one (realpath relies on it), ENOENT only for an empty path.
                if (r.value() == -Errno.ENOENT && !emptyArg(n, pathAddr)) r = new FileMeta.Result(-Errno.EINVAL, null);
            }
            return reply(n, r, buf);
        } finally {
            FileMeta.close(f.fd());
        }
    }

    private Decision getxattr(Notification n, long pathAddr, long nameAddr, long buf, int size, boolean noFollow) {
        byte[] name = stringArg(n, nameAddr, 256, Errno.ERANGE);
        ObjectResolver.Found f = object(n, AT_FDCWD, pathAddr, !noFollow, false, 0);
        try {
            FileMeta.Result r = FileMeta.getxattr(self(f), name, Math.max(size, 0), false);
            return reply(n, r, buf);
        } finally {
            FileMeta.close(f.fd());
        }
    }

    private Decision listxattr(Notification n, long pathAddr, long buf, int size, boolean noFollow) {
        ObjectResolver.Found f = object(n, AT_FDCWD, pathAddr, !noFollow, false, 0);
        try {
            FileMeta.Result r = FileMeta.listxattr(self(f), Math.max(size, 0), false);
            return reply(n, r, buf);
        } finally {
            FileMeta.close(f.fd());
        }
    }

    private Decision statfs(Notification n, long pathAddr, long buf) {
        ObjectResolver.Found f = object(n, AT_FDCWD, pathAddr, true, false, 0);
        try {
            return reply(n, FileMeta.fstatfs(f.fd()), buf);
        } finally {
            FileMeta.close(f.fd());
        }
    }

    /**
     * chdir cannot be performed for another process, so here, and only here, a decision on a path is followed by
     * CONTINUE: the kernel then resolves the path again, and a thread rewriting it between the two lookups can
     * make the program's working directory a hidden directory. What that gains: the hidden directory's existence
     * (as an open's EACCES tells anyway). Nothing in it can be read (Landlock refuses every open and listing
     * there), and every later metadata call relative to it is resolved through /proc/PID/cwd by this class and
     * hidden. fchdir is not supervised: its descriptor was opened under Landlock or handed out by this class.
     */
    private Decision chdir(Notification n, long pathAddr) {
        ObjectResolver.Found f = object(n, AT_FDCWD, pathAddr, true, false, 0);
        FileMeta.close(f.fd());
        return Decision.CONTINUE;
    }

    private static final int IN_DONT_FOLLOW = 0x02000000, IN_ONLYDIR = 0x01000000;

    /**
     * inotify_add_watch: a watch on a hidden directory would tell the names of the files made and opened in it.
     * Performed here on the object decided on, through a copy of the program's inotify descriptor (pidfd_getfd;
     * a descriptor dup2'ed onto that number meanwhile gets the watch, or fails, but only on this object).
     */
    private Decision inotifyAddWatch(Notification n, int ifd, long pathAddr, int mask) {
        ObjectResolver.Found f = object(n, AT_FDCWD, pathAddr, (mask & IN_DONT_FOLLOW) == 0, false,
                (mask & IN_ONLYDIR) != 0 ? Sys.O_DIRECTORY : 0);
        int pidfd = -1;
        long copy = -1;
        try {
            pidfd = Sys.pidfdOpen(ObjectResolver.tgidOf(n.pid()));
            copy = FileMeta.pidfdGetfd(pidfd, ifd);
            if (copy < 0) return Decision.fail(copy == -Errno.EBADF ? Errno.EBADF : Errno.EINVAL);
            int c = (int) copy;
            // Through the supervisor's descriptor the magic link leads to the object itself (the link, if that
            // was asked for): IN_DONT_FOLLOW would watch /proc's link instead.
            long r = checked(n, () -> FileMeta.inotifyAddWatch(c, self(f), mask & ~IN_DONT_FOLLOW));
            if (r == Long.MIN_VALUE) return Decision.ANSWERED;
            return r < 0 ? Decision.fail((int) -r) : value(r);
        } catch (SyscallException e) {
            return Decision.fail(e.errno() == Errno.ESRCH ? Errno.ESRCH : Errno.EPERM);
        } finally {
            if (copy >= 0) FileMeta.close((int) copy);
            if (pidfd >= 0) FileMeta.close(pidfd);
            FileMeta.close(f.fd());
        }
    }

    /** open and openat with O_PATH: Landlock does not govern them, and fstat on the descriptor reads metadata. */
    private Decision openPath(Notification n, int dirfd, long pathAddr, int flags) {
        ObjectResolver.Found f = object(n, dirfd, pathAddr, (flags & Sys.O_NOFOLLOW) == 0, false,
                flags & Sys.O_DIRECTORY);
        try {
            // The kernel cannot install an O_PATH descriptor (ADDFD takes only real files: EBADF), so a visible
            // object's O_PATH open is continued, and the kernel opens the path again. A thread may swap the path in
            // between and get an O_PATH descriptor of a hidden object. That reveals no more than its existence,
            // which a plain open() reveals anyway (Landlock's EACCES against ENOENT): every metadata read through
            // the descriptor (fstat, statx or readlinkat with AT_EMPTY_PATH, lookups beneath it, fchdir and then
            // relative lookups) is decided again here on the object it names; reopening it through
            // /proc/self/fd is an open, which Landlock checks; and the kernel itself refuses O_PATH opens through
            // other processes' /proc magic links.
            return Decision.CONTINUE;
        } finally {
            FileMeta.close(f.fd());
        }
    }

    // --- changes ------------------------------------------------------------------------------------------

    private Decision change(Notification n) {
        int nr = n.nr();
        long[] a = n.args();
        ObjectResolver.Found f;
        if (nr == FCHMOD || nr == FCHOWN || nr == FSETXATTR || nr == FREMOVEXATTR) {
            f = target(n, (int) a[0], 0, true, true);
        } else if (nr == FCHMODAT) {
            f = target(n, (int) a[0], a[1], true, false);
        } else if (nr == FCHOWNAT || nr == UTIMENSAT) {
            int flags = (int) a[nr == FCHOWNAT ? 4 : 3];
            if ((flags & ~(NOFOLLOW | EMPTY_PATH)) != 0) return Decision.fail(Errno.EINVAL);
            boolean fdOnly = nr == UTIMENSAT && a[1] == 0;
            if (fdOnly && (int) a[0] == AT_FDCWD) return Decision.fail(Errno.EFAULT); // as the kernel: no path
            f = target(n, (int) a[0], a[1], (flags & NOFOLLOW) == 0, fdOnly || (flags & EMPTY_PATH) != 0);
        } else if (nr == FUTIMESAT) {
            f = target(n, (int) a[0], a[1], true, false);
        } else {
            f = target(n, AT_FDCWD, a[0], !(nr == LCHOWN || nr == LSETXATTR || nr == LREMOVEXATTR), false);
        }
        try {
            return performChange(n, f);
        } finally {
            FileMeta.close(f.fd());
        }
    }

    /**
     * The object a change names, refused unless beneath a write rule. The rule: allowing is sound only if the
     * program cannot change what was decided on; the change is performed on this very object (its descriptor).
     */
    private ObjectResolver.Found target(Notification n, int dirfd, long pathAddr, boolean follow, boolean emptyPath) {
        byte[] path = pathAddr == 0 && emptyPath ? ObjectResolver.EMPTY : pathArg(n, pathAddr);
        int[] errno = new int[1];
        ObjectResolver.Found f = ObjectResolver.open(n.pid(), dirfd, path, follow, emptyPath, 0, errno);
        if (f == null) throw new Fail(hide ? failure(n, dirfd, path, errno[0]) : errno[0]);
        String real = ObjectResolver.stripDeleted(f.real());
        // Objects outside the file tree (pipes, sockets) are no rule's business.
        if (real.startsWith("/") && !real.startsWith("/memfd:") && !visibility.writable(real)) {
            FileMeta.close(f.fd());
            int errno2 = hide && path.length > 0 && !ObjectResolver.visible(visibility, f.real()) ? Errno.ENOENT : Errno.EPERM;
            reporter.refused(n, errno2, NOT_WRITABLE, CallDecoder.decode(ARCH, n, path.length == 0 ? null : shown(real)));
            throw new Fail(errno2);
        }
        return f;
    }

    private Decision performChange(Notification n, ObjectResolver.Found f) {
        int nr = n.nr();
        long[] a = n.args();
        byte[] self = self(f);
        long r;
        if (nr == CHMOD || nr == FCHMOD) {
            r = checked(n, () -> FileMeta.fchmodat(AT_FDCWD, self, (int) a[1]));
        } else if (nr == FCHMODAT) {
            r = checked(n, () -> FileMeta.fchmodat(AT_FDCWD, self, (int) a[2]));
        } else if (nr == CHOWN || nr == LCHOWN || nr == FCHOWN) {
            r = checked(n, () -> FileMeta.fchownat(f.fd(), ObjectResolver.EMPTY, (int) a[1], (int) a[2], EMPTY_PATH));
        } else if (nr == FCHOWNAT) {
            r = checked(n, () -> FileMeta.fchownat(f.fd(), ObjectResolver.EMPTY, (int) a[2], (int) a[3], EMPTY_PATH));
        } else if (nr == UTIME || nr == UTIMES || nr == FUTIMESAT || nr == UTIMENSAT) {
            long[] times = times(n);
            r = checked(n, () -> FileMeta.utimensat(AT_FDCWD, self, times, 0));
        } else if (nr == SETXATTR || nr == LSETXATTR || nr == FSETXATTR) {
            byte[] name = stringArg(n, a[1], 256, Errno.ERANGE);
            long size = a[3];
            if (size < 0 || size > FileMeta.XATTR_MAX) return Decision.fail(Errno.E2BIG);
            byte[] value = size == 0 ? new byte[0] : Sys.readBytes(n.pid(), a[2], (int) size);
            if (value == null) return Decision.fail(Errno.EFAULT);
            r = checked(n, () -> FileMeta.setxattr(self, name, value, (int) a[4]));
        } else {
            byte[] name = stringArg(n, a[1], 256, Errno.ERANGE);
            r = checked(n, () -> FileMeta.removexattr(self, name));
        }
        if (r == Long.MIN_VALUE) return Decision.ANSWERED;
        return r < 0 ? Decision.fail((int) -r) : new Decision.Value(r);
    }

    /** Runs a change only while the call is still pending: its arguments were read from a live program. */
    private static long checked(Notification n, java.util.function.LongSupplier call) {
        if (!idValid(n)) return Long.MIN_VALUE;
        return call.getAsLong();
    }

    /** The times of utime, utimes, futimesat or utimensat as utimensat's {sec, nsec, sec, nsec}; null: now. */
    private static long[] times(Notification n) {
        int nr = n.nr();
        long addr = n.args()[nr == UTIME || nr == UTIMES ? 1 : 2];
        if (addr == 0) return null;
        if (nr == UTIME) {
            long[] b = longs(n, addr, 2);
            return new long[] {b[0], 0, b[1], 0};
        }
        long[] b = longs(n, addr, 4);
        if (nr == UTIMENSAT) return b;
        for (int i : new int[] {1, 3}) {
            if (b[i] < 0 || b[i] >= 1_000_000) throw new Fail(Errno.EINVAL);
        }
        return new long[] {b[0], b[1] * 1000, b[2], b[3] * 1000};
    }

    private static long[] longs(Notification n, long addr, int count) {
        byte[] b = Sys.readBytes(n.pid(), addr, 8 * count);
        if (b == null) throw new Fail(Errno.EFAULT);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.nativeOrder());
        long[] r = new long[count];
        for (int i = 0; i < count; i++) r[i] = bb.getLong();
        return r;
    }

    // --- helpers ------------------------------------------------------------------------------------------

    /** The path to the object itself through the supervisor's descriptor (no lookup by the program's string). */
    private static byte[] self(ObjectResolver.Found f) {
        return ("/proc/self/fd/" + f.fd()).getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Whether a path argument is the empty string (read again: only to choose between two errnos). */
    private static boolean emptyArg(Notification n, long addr) {
        int[] errno = new int[1];
        byte[] p = FileMeta.readCString(n.pid(), addr, 2, Errno.ENAMETOOLONG, errno);
        return p != null && p.length == 0;
    }

    /** A resolved path (ISO-8859-1 form) for display. */
    private static String shown(String real) {
        return real == null ? null : new String(real.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    private static byte[] pathArg(Notification n, long addr) {
        return stringArg(n, addr, PATH_MAX, Errno.ENAMETOOLONG);
    }

    /** A NUL-terminated argument of at most {@code max} bytes with the NUL, as raw bytes. */
    private static byte[] stringArg(Notification n, long addr, int max, int tooLong) {
        int[] errno = new int[1];
        byte[] s = FileMeta.readCString(n.pid(), addr, max, tooLong, errno);
        if (s == null) throw new Fail(errno[0]);
        return s;
    }

    /**
     * Writes a result into the program's buffer and answers with its length (or the call's value). Only
     * while the call is still pending: then the pid is still the program's, whose memory is written.
     */
    private static Decision reply(Notification n, FileMeta.Result r, long buf) {
        if (r.failed()) return Decision.fail((int) -r.value());
        if (!idValid(n)) return Decision.ANSWERED;
        if (r.data() != null && r.data().length > 0) {
            long w = FileMeta.processVmWrite(n.pid(), buf, r.data());
            if (w < 0) return Decision.fail(w == -Errno.ESRCH ? Errno.ESRCH : Errno.EFAULT);
            if (w != r.data().length) return Decision.fail(Errno.EFAULT);
        }
        return value(r.value());
    }

    /**
     * The call's result, answered by the supervisor. No pending check first: nothing was done for the program that
     * it must not get, and an answer to a call no longer pending fails by itself (see Supervisor#answer).
     */
    private static Decision value(long v) {
        return new Decision.Value(v);
    }

    private static boolean idValid(Notification n) {
        return FileMeta.notificationPending(n.listener(), n.id());
    }
}
