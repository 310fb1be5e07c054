package dev.cordon.internal.limits.cgroup;

import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.ProcFs;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Plain file I/O on cgroupfs (no FFM needed): each control file is read or written with one system call,
 * and kernel errors become messages a user can act on.
 */
final class CgroupFs {
    private CgroupFs() {}

    static final String HINT = "run as root, or delegate a cgroup v2 subtree to your user "
            + "(e.g. systemd-run --user --scope -p Delegate=yes <command>)";

    /** Called after every cgroup directory we create; a no-op on a real cgroupfs, where the kernel fills it. */
    static final Consumer<Path> KERNEL = dir -> {};

    // --- reading -----------------------------------------------------------------------------------

    /**
     * Reads a whole kernel file. Not Files.readString: for files that report size 0 it reads 1 byte first,
     * and some kernel files (e.g. /proc/sys) then answer the next read at offset 1 with end-of-file.
     */
    static String slurp(Path file) throws IOException {
        return ProcFs.read(file);
    }

    static String read(Path file) {
        try {
            return slurp(file);
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + reason(e), e);
        }
    }

    /** The file's text, or null if it does not exist (an older kernel, or a controller that is not there). */
    static String readIfExists(Path file) {
        try {
            return slurp(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + reason(e), e);
        }
    }

    /** A file holding one number ("max" reads as Long.MAX_VALUE), or -1 if it does not exist. */
    static long readLong(Path file) {
        String s = readIfExists(file);
        if (s == null) return -1;
        s = s.strip();
        if (s.equals("max")) return Long.MAX_VALUE;
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new CgroupException("unexpected content in " + file + ": '" + s + "'");
        }
    }

    /** "key value" lines (cpu.stat, memory.events, memory.oom_control, cpuacct.stat, pids.events). */
    static Map<String, Long> readKeyed(Path file) {
        String s = readIfExists(file);
        Map<String, Long> map = new HashMap<>();
        if (s == null) return map;
        for (String line : s.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length != 2) continue;
            try {
                map.put(f[0], Long.parseLong(f[1]));
            } catch (NumberFormatException ignored) {
                // e.g. "max" in pids.events is a counter name, not a value: only numbers matter here
            }
        }
        return map;
    }

    /** The pids listed in a cgroup.procs or tasks file; empty if the cgroup is gone. */
    static List<Integer> readPids(Path file) {
        String s;
        try {
            s = slurp(file);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + reason(e), e);
        }
        List<Integer> pids = new ArrayList<>();
        for (String line : s.split("\n")) {
            line = line.strip();
            if (!line.isEmpty()) pids.add(Integer.parseInt(line));
        }
        return pids;
    }

    /** Pids in {@code procsName} of this cgroup and every cgroup below it (a program may create sub-cgroups). */
    static List<Integer> readPidsRecursive(Path dir, String procsName) {
        List<Integer> pids = new ArrayList<>(readPids(dir.resolve(procsName)));
        for (Path child : subdirs(dir)) pids.addAll(readPidsRecursive(child, procsName));
        return pids;
    }

    static List<Path> subdirs(Path dir) {
        // A cgroup directory holds dozens of control files: listing it and asking of each whether it is a
        // directory costs far more than the read of its process list. cgroupfs (kernfs) counts sub-directories
        // in the link count, 2 + subdirectories, so one stat says there are none. Only trusted on cgroupfs.
        if (!isRealDirectoryTree(dir) && linkCount(dir) == 2) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new CgroupException("cannot list " + dir + ": " + reason(e), e);
        }
    }

    private static int linkCount(Path dir) {
        try {
            return (Integer) Files.getAttribute(dir, "unix:nlink");
        } catch (IOException | RuntimeException e) {
            return -1; // gone, or no such attribute: list
        }
    }

    // --- writing -----------------------------------------------------------------------------------

    /** Writes a value to an existing control file (never creates one: a missing file is an error). */
    static void write(Path file, String value) {
        try {
            Files.writeString(file, value, StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new CgroupException("cannot write '" + value + "' to " + file + ": " + reason(e)
                    + (e instanceof AccessDeniedException ? "; " + HINT : ""), e);
        }
    }

    /** Creates a cgroup directory; false if it already existed. */
    static boolean mkdir(Path dir, Consumer<Path> kernel) {
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw new CgroupException("cannot create cgroup " + dir + ": " + reason(e) + "; " + HINT, e);
        }
        kernel.accept(dir);
        return true;
    }

    /**
     * Removes a cgroup directory, retrying briefly while the kernel finishes releasing exited processes
     * (rmdir says EBUSY until then). Sub-cgroups are removed first. An already removed directory is fine.
     * Returns null on success, else why it failed.
     */
    static String rmdir(Path dir) {
        for (Path child : subdirsQuietly(dir)) {
            String err = rmdir(child);
            if (err != null) return err;
        }
        String last = null;
        for (int attempt = 0; attempt < 200; attempt++) {
            try {
                // On cgroupfs the control files are not real files: rmdir removes them with the directory.
                if (isRealDirectoryTree(dir)) deleteFakeFiles(dir);
                Files.delete(dir);
                return null;
            } catch (NoSuchFileException e) {
                return null;
            } catch (DirectoryNotEmptyException e) {
                last = "directory not empty";
            } catch (IOException e) {
                last = reason(e);
            }
            sleep(attempt < 20 ? 1 : 10);
        }
        return "cannot remove cgroup " + dir + ": " + last;
    }

    /**
     * Removes a cgroup directory if the kernel lets it go at once: true if it is gone. The kernel removes a
     * cgroup only when no process and no sub-cgroup is left in it (else EBUSY), so success proves that there
     * was nothing to kill. False, with nothing changed, for a busy directory or a tests' fake tree.
     */
    static boolean tryRmdir(Path dir) {
        if (isRealDirectoryTree(dir)) return false;
        try {
            Files.delete(dir);
            return true;
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Path> subdirsQuietly(Path dir) {
        try {
            return subdirs(dir);
        } catch (CgroupException e) {
            return List.of();
        }
    }

    /** True for a plain directory tree (tests' fake cgroupfs), where control files must be deleted by hand. */
    /** Per parent directory: Files.getFileStore parses the mount table, far too slow to ask on every rmdir. */
    private static final java.util.concurrent.ConcurrentHashMap<Path, Boolean> REAL_TREES =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static boolean isRealDirectoryTree(Path dir) {
        Path key = dir.getParent() == null ? dir : dir.getParent();
        return REAL_TREES.computeIfAbsent(key, k -> {
            try {
                return !Files.getFileStore(dir).type().startsWith("cgroup");
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static void deleteFakeFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) Files.deleteIfExists(f);
        }
    }

    // --- processes ---------------------------------------------------------------------------------

    /** True if a process with this pid exists (possibly owned by someone else). */
    static boolean alive(int pid) {
        try {
            Sys.kill(pid, 0);
            return true;
        } catch (SyscallException e) {
            return e.errno() != Errno.ESRCH;
        }
    }

    /** SIGKILL; a process that is already gone is fine. Only for processes that cannot exit meanwhile (frozen). */
    static void kill(int pid) {
        try {
            Sys.kill(pid, Sys.SIGKILL);
        } catch (SyscallException e) {
            if (e.errno() != Errno.ESRCH) throw new CgroupException("cannot kill process " + pid + ": " + e.getMessage(), e);
        }
    }

    /**
     * SIGKILLs the processes listed in {@code procs} without risk of hitting a stranger that reused the pid
     * of a process that exited meanwhile: pin each pid with a pidfd, read the list again, and signal only
     * pidfds whose pid is still listed (a listed pid is the pinned process, or is inside too).
     */
    static void killMembers(List<Integer> pids, Path procsDir, String procsName) {
        if (pids.isEmpty()) return;
        Map<Integer, Integer> pidfds = new HashMap<>();
        try {
            for (int pid : pids) {
                if (pidfds.containsKey(pid)) continue;
                try {
                    pidfds.put(pid, Sys.pidfdOpen(pid));
                } catch (SyscallException e) {
                    if (e.errno() != Errno.ESRCH) throw new CgroupException("cannot kill process " + pid + ": " + e.getMessage(), e);
                }
            }
            Set<Integer> still = new HashSet<>(readPidsRecursive(procsDir, procsName));
            for (Map.Entry<Integer, Integer> e : pidfds.entrySet()) {
                if (!still.contains(e.getKey())) continue;
                try {
                    Sys.pidfdSendSignal(e.getValue(), Sys.SIGKILL);
                } catch (SyscallException ex) {
                    if (ex.errno() != Errno.ESRCH) throw new CgroupException("cannot kill process " + e.getKey() + ": " + ex.getMessage(), ex);
                }
            }
        } finally {
            for (int fd : pidfds.values()) Sys.closeQuietly(fd);
        }
    }

    /** Polls {@code done} every millisecond for up to {@code millis}; whether it became true. */
    static boolean await(java.util.function.BooleanSupplier done, long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (true) {
            if (done.getAsBoolean()) return true;
            if (System.nanoTime() > deadline) return false;
            sleep(1);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CgroupException("interrupted", e);
        }
    }

    /** "Permission denied", "Device or resource busy", ... from the kernel's errno as Java reports it. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) return "No such file or directory";
        if (e instanceof AccessDeniedException) return "Permission denied";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
