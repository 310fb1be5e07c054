package dev.cordon.internal.supervise;

import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.FileMeta;
import dev.cordon.internal.sys.Sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Finds the object a program's path names, as the program would reach it, and opens it (O_PATH) in the
 * supervisor, so that a decision is made on the object actually reached and the operation is performed on
 * that same object: what the program does to its path string afterwards changes nothing.
 *
 * <p>Only for programs without a mount namespace: their root is the supervisor's root (chroot, pivot_root,
 * unshare and setns are refused in the sandbox), so an absolute path resolves alike. What differs is
 * /proc/self and /proc/thread-self, which name the reader: resolved by the kernel here they would name the
 * JVM. A lookup that reaches the JVM's /proc directory, or a magic link (/proc/PID/fd/N, cwd, root, exe), is
 * therefore redone by {@link #walk}, one component at a time, with "self" replaced by the program's pid and
 * magic links followed in the program's own /proc directory.
 */
final class ObjectResolver {
    private ObjectResolver() {}

    static final int O_PATH = Sys.O_PATH, O_NOFOLLOW = Sys.O_NOFOLLOW, O_CLOEXEC = Sys.O_CLOEXEC,
            O_DIRECTORY = Sys.O_DIRECTORY;
    private static final int MAX_LINKS = 40;
    private static final int S_IFMT = 0170000, S_IFLNK = 0120000, S_IFDIR = 0040000;
    /** Offset of st_mode in struct stat: after st_dev, st_ino, st_nlink on x86_64; st_dev, st_ino on aarch64. */
    private static final int ST_MODE = FileMeta.STAT_SIZE == 144 ? 24 : 16;
    private static final String JVM_PROC = "/proc/" + ProcessHandle.current().pid();
    static final byte[] EMPTY = new byte[0];

    /** An object opened with O_PATH ({@code fd}, the caller's to close), and its resolved path (ISO-8859-1 form). */
    record Found(int fd, String real) {}

    /**
     * Opens what {@code path} names for the task {@code tid}, relative to its descriptor {@code dirfd} or
     * working directory; with {@code emptyPath} and an empty path, the descriptor itself. Returns the object, or
     * null with the errno in {@code errno[0]}.
     */
    static Found open(int tid, int dirfd, byte[] path, boolean follow, boolean emptyPath, int extraFlags, int[] errno) {
        return open(tid, dirfd, path, follow, emptyPath, extraFlags, errno, null);
    }

    /**
     * As above; with {@code roots}, first the fast way beneath a rule's directory ({@link RuleRoots}), whose
     * result is visible and comes without its resolved path ({@code real} null).
     */
    static Found open(int tid, int dirfd, byte[] path, boolean follow, boolean emptyPath, int extraFlags, int[] errno,
                      RuleRoots roots) {
        if (path.length == 0 && !emptyPath) {
            errno[0] = Errno.ENOENT;
            return null;
        }
        if (roots != null && path.length > 0) {
            String abs = absolute(tid, dirfd, path);
            if (abs != null) {
                long fd = roots.open(abs, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW) | extraFlags);
                if (fd >= 0) return new Found((int) fd, null);
                if (fd != RuleRoots.NO_ANSWER) {
                    // A lookup that stayed beneath a rule's directory failed: what it tells is visible anyway.
                    errno[0] = (int) -fd;
                    return null;
                }
            }
        }
        int base = Sys.AT_FDCWD;
        boolean ownBase = false;
        if (path.length == 0 || path[0] != '/') {
            String link = dirfd == TraceeFiles.AT_FDCWD ? "/proc/" + tid + "/cwd" : "/proc/" + tid + "/fd/" + dirfd;
            long b = FileMeta.openat2(Sys.AT_FDCWD, link.getBytes(StandardCharsets.ISO_8859_1), O_PATH | O_CLOEXEC, 0);
            if (b < 0) {
                errno[0] = b == -Errno.ENOENT ? Errno.EBADF : (int) -b;
                return null;
            }
            if (path.length == 0) return found((int) b, errno);
            base = (int) b;
            ownBase = true;
        }
        try {
            int flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW) | extraFlags;
            long fd = FileMeta.openat2(base, path, flags, FileMeta.RESOLVE_NO_MAGICLINKS);
            if (fd == -Errno.ELOOP) fd = walk(tid, base, path, follow, extraFlags);
            if (fd < 0) {
                errno[0] = (int) -fd;
                return null;
            }
            Found f = found((int) fd, errno);
            if (f != null && (f.real().equals(JVM_PROC) || f.real().startsWith(JVM_PROC + "/")
                    || f.real().equals("/proc/self") || f.real().equals("/proc/thread-self"))) {
                // Reached through /proc/self as the JVM sees it: redo as the program sees it.
                FileMeta.close(f.fd());
                fd = walk(tid, base, path, follow, extraFlags);
                if (fd < 0) {
                    errno[0] = (int) -fd;
                    return null;
                }
                f = found((int) fd, errno);
            }
            return f;
        } finally {
            if (ownBase) FileMeta.close(base);
        }
    }

    /**
     * The path as an absolute string: relative ones joined to the program's working directory or descriptor as
     * /proc names it (what they name now: a concurrent chdir makes this the call before it). Null if none.
     */
    private static String absolute(int tid, int dirfd, byte[] path) {
        String p = new String(path, StandardCharsets.ISO_8859_1);
        if (path[0] == '/') return p;
        String link = dirfd == TraceeFiles.AT_FDCWD ? "/proc/" + tid + "/cwd" : "/proc/" + tid + "/fd/" + dirfd;
        FileMeta.Result r = FileMeta.readlinkat(Sys.AT_FDCWD, link.getBytes(StandardCharsets.ISO_8859_1), 4096);
        if (r.failed() || r.data().length == 0 || r.data()[0] != '/') return null;
        String base = new String(r.data(), StandardCharsets.ISO_8859_1);
        if (base.endsWith(" (deleted)")) return null;
        return base.equals("/") ? "/" + p : base + "/" + p;
    }

    private static Found found(int fd, int[] errno) {
        FileMeta.Result r = FileMeta.readlinkat(Sys.AT_FDCWD, ("/proc/self/fd/" + fd).getBytes(StandardCharsets.ISO_8859_1), 4096);
        if (r.failed()) {
            FileMeta.close(fd);
            errno[0] = (int) -r.value();
            return null;
        }
        return new Found(fd, new String(r.data(), StandardCharsets.ISO_8859_1));
    }

    /**
     * Whether a resolved object exists for the program. Objects outside the file tree (pipes, sockets, memfds,
     * anonymous inodes: reachable only through a descriptor someone holds) are not governed by path rules; a
     * deleted file is judged by the path it had.
     */
    static boolean visible(dev.cordon.internal.landlock.Visibility v, String real) {
        if (real == null) return true; // found beneath a rule's directory
        if (!real.startsWith("/") || real.startsWith("/memfd:")) return true;
        return v.visible(stripDeleted(real));
    }

    static String stripDeleted(String real) {
        return real.endsWith(" (deleted)") ? real.substring(0, real.length() - 10) : real;
    }

    static boolean isSymlink(int fd) {
        FileMeta.Result st = FileMeta.fstatat(fd, EMPTY, FileMeta.AT_EMPTY_PATH);
        return !st.failed() && (mode(st.data()) & S_IFMT) == S_IFLNK;
    }

    private static int mode(byte[] stat) {
        return (stat[ST_MODE] & 0xff) | (stat[ST_MODE + 1] & 0xff) << 8 | (stat[ST_MODE + 2] & 0xff) << 16;
    }

    /**
     * Resolves {@code path} one component at a time, as the kernel would for the program: symbolic links read
     * and followed here, /proc/self and /proc/thread-self replaced by the program's own directories, and
     * magic links (/proc/PID/fd/N, cwd, root, exe: not strings but objects) followed by the kernel from the
     * program's /proc directory, which names what the program's own lookup would reach. Returns an O_PATH
     * descriptor, or minus the errno.
     */
    static long walk(int tid, int base, byte[] path, boolean follow, int extraFlags) {
        Deque<String> parts = new ArrayDeque<>();
        push(parts, new String(path, StandardCharsets.ISO_8859_1));
        boolean trailingSlash = path.length > 0 && path[path.length - 1] == '/';
        long cur = FileMeta.openat2(path.length > 0 && path[0] == '/' ? Sys.AT_FDCWD : base,
                (path.length > 0 && path[0] == '/' ? "/" : ".").getBytes(StandardCharsets.ISO_8859_1),
                O_PATH | O_CLOEXEC, 0);
        if (cur < 0) return cur;
        int links = 0;
        while (!parts.isEmpty()) {
            String c = parts.pop();
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.startsWith("/")) { // an absolute link target: start again at the root
                FileMeta.close((int) cur);
                cur = FileMeta.openat2(Sys.AT_FDCWD, "/".getBytes(StandardCharsets.ISO_8859_1), O_PATH | O_CLOEXEC, 0);
                if (cur < 0) return cur;
                continue;
            }
            boolean last = parts.isEmpty();
            byte[] name = c.getBytes(StandardCharsets.ISO_8859_1);
            long next = FileMeta.openat2((int) cur, name, O_PATH | O_CLOEXEC | O_NOFOLLOW, FileMeta.RESOLVE_NO_SYMLINKS);
            if (next < 0) {
                FileMeta.close((int) cur);
                return next;
            }
            if (isSymlink((int) next) && (!last || follow || trailingSlash)) {
                if (++links > MAX_LINKS) {
                    FileMeta.close((int) next);
                    FileMeta.close((int) cur);
                    return -Errno.ELOOP;
                }
                String dir = realOf((int) cur);
                String target;
                if ("/proc".equals(dir) && c.equals("self")) {
                    target = Integer.toString(tgidOf(tid));
                } else if ("/proc".equals(dir) && c.equals("thread-self")) {
                    target = tgidOf(tid) + "/task/" + tid;
                } else if (dir != null && dir.startsWith("/proc/")) {
                    // A magic link in the program's /proc directory: the kernel follows it to the object. Only
                    // there: followed here, outside the program's Landlock domain (which may not follow another
                    // process's links) and as root with CAP_SYS_PTRACE, another process's fd/N, cwd or root
                    // would hand the program objects it can never reach itself.
                    FileMeta.close((int) next);
                    if (foreignProc(tid, dir + "/")) {
                        FileMeta.close((int) cur);
                        return -Errno.EACCES;
                    }
                    long obj = FileMeta.openat2((int) cur, name, O_PATH | O_CLOEXEC, 0);
                    FileMeta.close((int) cur);
                    if (obj < 0) return obj;
                    cur = obj;
                    continue;
                } else {
                    FileMeta.Result t = FileMeta.readlinkat((int) next, EMPTY, 4096);
                    if (t.failed()) {
                        FileMeta.close((int) next);
                        FileMeta.close((int) cur);
                        return t.value();
                    }
                    target = new String(t.data(), StandardCharsets.ISO_8859_1);
                }
                FileMeta.close((int) next);
                push(parts, target);
                continue;
            }
            FileMeta.close((int) cur);
            cur = next;
        }
        if (trailingSlash || (extraFlags & O_DIRECTORY) != 0) {
            FileMeta.Result st = FileMeta.fstatat((int) cur, EMPTY, FileMeta.AT_EMPTY_PATH);
            if (st.failed() || (mode(st.data()) & S_IFMT) != S_IFDIR) {
                FileMeta.close((int) cur);
                return -Errno.ENOTDIR;
            }
        }
        return cur;
    }

    /** Pushes the components of {@code path} in front of those pending; an absolute path restarts at "/". */
    private static void push(Deque<String> parts, String path) {
        String[] comps = path.split("/", -1);
        for (int i = comps.length - 1; i >= 0; i--) parts.push(comps[i]);
        if (path.startsWith("/")) {
            parts.pop(); // the empty component before the first slash
            parts.push("/");
        }
    }

    /**
     * Whether {@code real} lies in the /proc directory of a process other than the task {@code tid}'s own
     * (/proc/TGID or /proc/TID): its magic links are another process's objects.
     */
    static boolean foreignProc(int tid, String real) {
        if (!real.startsWith("/proc/")) return false;
        int end = real.indexOf('/', 6);
        String pid = end < 0 ? real.substring(6) : real.substring(6, end);
        if (pid.isEmpty() || !pid.chars().allMatch(Character::isDigit)) return false;
        return !pid.equals(Integer.toString(tid)) && !pid.equals(Integer.toString(tgidOf(tid)));
    }

    private static String realOf(int fd) {
        FileMeta.Result r = FileMeta.readlinkat(Sys.AT_FDCWD, ("/proc/self/fd/" + fd).getBytes(StandardCharsets.ISO_8859_1), 4096);
        return r.failed() ? null : new String(r.data(), StandardCharsets.ISO_8859_1);
    }

    static int tgidOf(int tid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(tid), "status"))) {
                if (line.startsWith("Tgid:")) return Integer.parseInt(line.substring(5).strip());
            }
        } catch (IOException | NumberFormatException e) {
            // Gone: fall through.
        }
        return tid;
    }
}
