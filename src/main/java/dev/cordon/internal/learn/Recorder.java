package dev.cordon.internal.learn;

import dev.cordon.internal.supervise.CallObserver;
import dev.cordon.internal.supervise.Notification;
import dev.cordon.internal.supervise.TraceeFiles;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.syscalls.Arch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * What {@code cordon learn} sees the program do: every syscall by name, every path by the access it needed, every
 * TCP port connected to or bound. Runs on the supervisor thread while each call is stopped: paths are read from
 * the program's memory and resolved against its working directory or directory descriptor then, and turned into
 * real paths at once (a file may be gone by the end).
 */
public final class Recorder implements CallObserver {
    /** How a call uses its path. */
    enum Use {
        /** Open for reading, or list a directory. */
        READ,
        /** Only its metadata: stat, access, readlink, chdir. Landlock does not govern it. */
        STAT,
        /** Change this existing file (open for writing, truncate, chmod...). */
        CHANGE,
        /** Create, remove or rename an entry: needs write on the directory that holds it. */
        ENTRY,
        /** Execute. */
        EXEC,
        /** open family: READ, CHANGE or ENTRY, from the flags. */
        OPEN
    }

    /** Where a syscall's path is: the dirfd argument (-1: the working directory) and the path argument. */
    record PathArg(int dirfd, int path, Use use) {}

    private static final Map<String, List<PathArg>> PATHS = Map.ofEntries(
            Map.entry("open", List.of(new PathArg(-1, 0, Use.OPEN))),
            Map.entry("openat", List.of(new PathArg(0, 1, Use.OPEN))),
            Map.entry("openat2", List.of(new PathArg(0, 1, Use.OPEN))),
            Map.entry("creat", List.of(new PathArg(-1, 0, Use.ENTRY))),
            Map.entry("execve", List.of(new PathArg(-1, 0, Use.EXEC))),
            Map.entry("execveat", List.of(new PathArg(0, 1, Use.EXEC))),
            Map.entry("stat", List.of(new PathArg(-1, 0, Use.STAT))),
            Map.entry("lstat", List.of(new PathArg(-1, 0, Use.STAT))),
            Map.entry("newfstatat", List.of(new PathArg(0, 1, Use.STAT))),
            Map.entry("statx", List.of(new PathArg(0, 1, Use.STAT))),
            Map.entry("access", List.of(new PathArg(-1, 0, Use.STAT))),
            Map.entry("faccessat", List.of(new PathArg(0, 1, Use.STAT))),
            Map.entry("faccessat2", List.of(new PathArg(0, 1, Use.STAT))),
            Map.entry("readlink", List.of(new PathArg(-1, 0, Use.STAT))),
            Map.entry("readlinkat", List.of(new PathArg(0, 1, Use.STAT))),
            Map.entry("statfs", List.of(new PathArg(-1, 0, Use.STAT))),
            Map.entry("chdir", List.of(new PathArg(-1, 0, Use.STAT))),
            Map.entry("getxattr", List.of(new PathArg(-1, 0, Use.STAT))),
            Map.entry("lgetxattr", List.of(new PathArg(-1, 0, Use.STAT))),
            Map.entry("listxattr", List.of(new PathArg(-1, 0, Use.STAT))),
            Map.entry("llistxattr", List.of(new PathArg(-1, 0, Use.STAT))),
            Map.entry("mkdir", List.of(new PathArg(-1, 0, Use.ENTRY))),
            Map.entry("mkdirat", List.of(new PathArg(0, 1, Use.ENTRY))),
            Map.entry("mknod", List.of(new PathArg(-1, 0, Use.ENTRY))),
            Map.entry("mknodat", List.of(new PathArg(0, 1, Use.ENTRY))),
            Map.entry("unlink", List.of(new PathArg(-1, 0, Use.ENTRY))),
            Map.entry("unlinkat", List.of(new PathArg(0, 1, Use.ENTRY))),
            Map.entry("rmdir", List.of(new PathArg(-1, 0, Use.ENTRY))),
            Map.entry("rename", List.of(new PathArg(-1, 0, Use.ENTRY), new PathArg(-1, 1, Use.ENTRY))),
            Map.entry("renameat", List.of(new PathArg(0, 1, Use.ENTRY), new PathArg(2, 3, Use.ENTRY))),
            Map.entry("renameat2", List.of(new PathArg(0, 1, Use.ENTRY), new PathArg(2, 3, Use.ENTRY))),
            Map.entry("link", List.of(new PathArg(-1, 0, Use.READ), new PathArg(-1, 1, Use.ENTRY))),
            Map.entry("linkat", List.of(new PathArg(0, 1, Use.READ), new PathArg(2, 3, Use.ENTRY))),
            Map.entry("symlink", List.of(new PathArg(-1, 1, Use.ENTRY))),
            Map.entry("symlinkat", List.of(new PathArg(1, 2, Use.ENTRY))),
            Map.entry("truncate", List.of(new PathArg(-1, 0, Use.CHANGE))),
            Map.entry("chmod", List.of(new PathArg(-1, 0, Use.CHANGE))),
            Map.entry("fchmodat", List.of(new PathArg(0, 1, Use.CHANGE))),
            Map.entry("fchmodat2", List.of(new PathArg(0, 1, Use.CHANGE))),
            Map.entry("chown", List.of(new PathArg(-1, 0, Use.CHANGE))),
            Map.entry("lchown", List.of(new PathArg(-1, 0, Use.CHANGE))),
            Map.entry("fchownat", List.of(new PathArg(0, 1, Use.CHANGE))),
            Map.entry("utime", List.of(new PathArg(-1, 0, Use.CHANGE))),
            Map.entry("utimes", List.of(new PathArg(-1, 0, Use.CHANGE))),
            Map.entry("utimensat", List.of(new PathArg(0, 1, Use.CHANGE))),
            Map.entry("setxattr", List.of(new PathArg(-1, 0, Use.CHANGE))),
            Map.entry("lsetxattr", List.of(new PathArg(-1, 0, Use.CHANGE))),
            Map.entry("removexattr", List.of(new PathArg(-1, 0, Use.CHANGE))),
            Map.entry("lremovexattr", List.of(new PathArg(-1, 0, Use.CHANGE))));

    private static final int O_ACCMODE = 3, O_CREAT = 0100, O_TRUNC = 01000, O_PATH = 010000000,
            O_TMPFILE = 020000000;

    private final Arch arch = Arch.current();
    /** Where the learning run may write: a write outside is refused by Landlock and is not learned. */
    private final Predicate<Path> writable;
    private final Set<String> syscalls = new TreeSet<>();
    private final Set<Path> read = new TreeSet<>();
    private final Set<Path> write = new TreeSet<>();
    private final Set<Path> exec = new TreeSet<>();
    /** Directories whose metadata alone was used. */
    private final Set<Path> statDirs = new TreeSet<>();
    /** Paths the policy cannot grant, with why (shown as comments in the learned policy). */
    private final Set<String> notGranted = new TreeSet<>();
    private final Set<String> refused = new TreeSet<>();
    private final Set<Integer> tcpConnect = new TreeSet<>();
    private final Set<Integer> tcpBind = new TreeSet<>();

    public Recorder(Predicate<Path> writable) {
        this.writable = writable;
    }

    @Override
    public Runnable observe(Notification n) {
        String name = arch.name(n.nr());
        if (name == null) return null;
        List<Runnable> parts = new ArrayList<>();
        parts.add(() -> syscalls.add(name));
        List<PathArg> paths = PATHS.get(name);
        if (paths != null) {
            for (PathArg p : paths) {
                Runnable r = path(n, name, p);
                if (r != null) parts.add(r);
            }
        }
        if (name.equals("connect") || name.equals("bind")) {
            int port = port(n);
            if (port > 0) parts.add(() -> (name.equals("connect") ? tcpConnect : tcpBind).add(port));
        }
        return () -> {
            synchronized (this) {
                for (Runnable r : parts) r.run();
            }
        };
    }

    private Runnable path(Notification n, String name, PathArg p) {
        long[] a = n.args();
        int dirfd = p.dirfd() < 0 ? TraceeFiles.AT_FDCWD : (int) a[p.dirfd()];
        Optional<Path> resolved;
        String raw = a[p.path()] == 0 ? null : TraceeFiles.string(n.pid(), a[p.path()]);
        if (raw == null || raw.isEmpty()) {
            // An empty path with AT_EMPTY_PATH names the descriptor itself: an open file needs no rule to be
            // used (fstat), but executing one does (execveat of an fd).
            if (p.use() != Use.EXEC || p.dirfd() < 0 || dirfd == TraceeFiles.AT_FDCWD) return null;
            try {
                resolved = Optional.of(Files.readSymbolicLink(Path.of("/proc", Integer.toString(n.pid()), "fd",
                        Integer.toString(dirfd))));
            } catch (IOException | RuntimeException e) {
                return null;
            }
            if (!resolved.get().isAbsolute()) return null; // pipe:[N], socket:[N], anon_inode:...
        } else {
            resolved = TraceeFiles.resolve(n.pid(), dirfd, a[p.path()]);
        }
        if (resolved.isEmpty()) return null;
        Path used = withoutDots(resolved.get());
        Use use = p.use();
        if (use == Use.OPEN) {
            long flags = name.equals("openat2") ? openHow(n) : a[name.equals("open") ? 1 : 2];
            if ((flags & O_PATH) != 0) use = Use.STAT;
            else if ((flags & O_TMPFILE) != 0) use = Use.ENTRY;
            else if ((flags & O_CREAT) != 0 && (!Files.exists(used) || (flags & O_TRUNC) != 0)) use = Use.ENTRY;
            else if ((flags & O_ACCMODE) != 0) use = Use.CHANGE;
            else use = Use.READ;
        }
        return switch (use) {
            case READ, STAT -> reading(used, use == Use.STAT);
            case CHANGE -> Files.isDirectory(used) ? writing(used, name) : Files.exists(used)
                    ? writing(used, name) : null;
            case ENTRY -> {
                Path dir = used.getParent();
                yield dir == null ? null : writing(dir, name + " " + used);
            }
            case EXEC -> executing(used);
            case OPEN -> null;
        };
    }

    private static long openHow(Notification n) {
        byte[] how = Sys.readBytes(n.pid(), n.args()[2], 8);
        return how == null ? 0 : java.nio.ByteBuffer.wrap(how).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private Runnable reading(Path used, boolean statOnly) {
        List<Path> both = paths(used);
        if (both.isEmpty()) return null;
        if (proc(both)) return () -> notGranted.add(used + ": a process's own /proc directory (a rule on /proc/self "
                + "would be Cordon's own process)");
        if (ownCgroup(both)) return () -> notGranted.add(used + ": Cordon's own cgroup, a new one each run");
        boolean dir = Files.isDirectory(both.getLast());
        if (statOnly && dir) return () -> statDirs.addAll(both);
        return () -> read.addAll(both);
    }

    private Runnable writing(Path target, String what) {
        List<Path> both = paths(target);
        if (both.isEmpty()) return null;
        if (!writable.test(both.getLast())) {
            return () -> refused.add(what + ": outside the directories learn may write (--write)");
        }
        return () -> write.addAll(both);
    }

    private Runnable executing(Path used) {
        List<Path> all = new ArrayList<>();
        Path file = used;
        // The kernel opens a #! interpreter and an ELF interpreter itself, for execution: Landlock checks them too.
        for (int depth = 0; depth < 5 && file != null; depth++) {
            List<Path> both = paths(file);
            if (both.isEmpty()) break;
            all.addAll(both);
            Path real = both.getLast();
            Path next = Interpreters.script(real);
            Path elf = next == null ? Interpreters.elf(real) : null;
            if (elf != null) all.addAll(paths(elf));
            file = next;
        }
        if (all.isEmpty()) return null;
        return () -> exec.addAll(all);
    }

    /**
     * "." and ".." removed. ".." is taken away as text only where no symlink precedes it: after a symlink it means
     * the link target's parent, so the path up to the last ".." is resolved by the file system (a lexical
     * normalisation would turn {@code /tmp/w/link/../..} into {@code /tmp}, whatever the link names).
     */
    static Path withoutDots(Path p) {
        int last = -1;
        for (int i = 0; i < p.getNameCount(); i++) if (p.getName(i).toString().equals("..")) last = i;
        if (last < 0) return p.normalize();
        Path head = p.getRoot().resolve(p.subpath(0, last + 1));
        try {
            Path real = head.toRealPath();
            return last + 1 < p.getNameCount() ? real.resolve(p.subpath(last + 1, p.getNameCount())).normalize() : real;
        } catch (IOException | RuntimeException e) {
            return p.normalize(); // the directory is gone: nothing the program can use there anyway
        }
    }

    /** The path as used (normalized) and, if it differs, its real path last; empty if it does not exist. */
    private static List<Path> paths(Path used) {
        Path real;
        try {
            real = used.toRealPath();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        return real.equals(used) ? List.of(real) : List.of(used, real);
    }

    /**
     * A process's own directory in /proc: a rule there is opened by Cordon, so /proc/self would be Cordon's own, and
     * a pid's directory is a different process next time. Files such as /proc/cpuinfo are granted as files.
     */
    private static boolean proc(List<Path> paths) {
        for (Path p : paths) {
            if (!p.startsWith("/proc") || p.getNameCount() < 2) continue;
            String first = p.getName(1).toString();
            if (first.equals("self") || first.equals("thread-self") || first.chars().allMatch(Character::isDigit)) return true;
        }
        return false;
    }

    /**
     * Whether a path is in the cgroups Cordon makes: the run's own (cordon-PID-N, Cgroups.RUN_NAME) and their
     * parent ("cordon"), which exist only while Cordon runs.
     */
    private static boolean ownCgroup(List<Path> paths) {
        for (Path p : paths) {
            if (!p.startsWith("/sys/fs/cgroup")) continue;
            for (Path name : p) {
                if (name.toString().equals("cordon") || RUN_CGROUP.matcher(name.toString()).matches()) return true;
            }
        }
        return false;
    }

    private static final java.util.regex.Pattern RUN_CGROUP = java.util.regex.Pattern.compile("cordon-\\d+-\\d+");

    private static int port(Notification n) {
        byte[] addr = Sys.readBytes(n.pid(), n.args()[1], 4);
        if (addr == null || n.args()[2] < 4) return -1;
        int family = (addr[0] & 0xff) | (addr[1] & 0xff) << 8;
        if (family != 2 && family != 10) return -1; // AF_INET, AF_INET6
        return (addr[2] & 0xff) << 8 | (addr[3] & 0xff);
    }

    /** What was recorded, once the run is over. */
    public synchronized Learned learned() {
        // Directories only stat'ed are kept for the record; see PolicyWriter.
        return new Learned(Set.copyOf(syscalls), Set.copyOf(read), Set.copyOf(write), Set.copyOf(exec),
                Set.copyOf(statDirs), Set.copyOf(notGranted), Set.copyOf(refused), Set.copyOf(tcpConnect),
                Set.copyOf(tcpBind));
    }

    /** Everything a learning run recorded. */
    public record Learned(Set<String> syscalls, Set<Path> read, Set<Path> write, Set<Path> exec, Set<Path> statDirs,
                          Set<String> notGranted, Set<String> refused, Set<Integer> tcpConnect, Set<Integer> tcpBind) {}
}
