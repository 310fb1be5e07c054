package dev.cordon.internal.supervise;

import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.FileMeta;
import dev.cordon.internal.sys.Sys;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The fast way to the object a path names: the directories of the allowing rules, held open, and a lookup
 * beneath one of them with openat2's RESOLVE_BENEATH, which the kernel makes fail (EXDEV) as soon as it would
 * leave the directory, through "..", an absolute symbolic link or a relative one. What is found is therefore
 * visible without asking its resolved path (one lookup in /proc the less); what is not is looked up the slow
 * way. Directories containing /proc or inside it are left out: "self" there names the reader, the JVM.
 */
final class RuleRoots implements AutoCloseable {
    static final long NO_ANSWER = Long.MIN_VALUE;

    private final String[] prefixes;
    private final int[] fds;

    RuleRoots(List<String> roots) {
        List<String> dirs = new ArrayList<>(roots);
        dirs.sort(Comparator.comparingInt(String::length).reversed()); // the longest match first
        List<String> p = new ArrayList<>();
        List<Integer> f = new ArrayList<>();
        for (String r : dirs) {
            if (r.equals("/") || r.equals("/proc") || r.startsWith("/proc/") || "/proc".startsWith(r + "/")) continue;
            long fd = FileMeta.openat2(Sys.AT_FDCWD, r.getBytes(StandardCharsets.ISO_8859_1),
                    Sys.O_PATH | Sys.O_DIRECTORY | Sys.O_CLOEXEC, FileMeta.RESOLVE_NO_SYMLINKS);
            if (fd < 0) continue; // a file, or gone
            p.add(r + "/");
            f.add((int) fd);
        }
        prefixes = p.toArray(String[]::new);
        fds = f.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Opens {@code abs} (an absolute path, ISO-8859-1 form) beneath the rule directory it starts with: an O_PATH
     * descriptor of a visible object, minus the errno of a lookup that stayed beneath it, or 0 when there is
     * {@link #NO_ANSWER} when there is no such directory or the lookup would leave it (then the slow way decides).
     */
    long open(String abs, int flags) {
        for (int i = 0; i < prefixes.length; i++) {
            String p = prefixes[i];
            boolean exact = abs.length() == p.length() - 1 && p.startsWith(abs);
            if (!exact && !abs.startsWith(p)) continue;
            String rest = exact ? "." : abs.substring(p.length());
            if (rest.isEmpty()) rest = "."; // a trailing slash after the directory
            long fd = FileMeta.openat2(fds[i], rest.getBytes(StandardCharsets.ISO_8859_1), flags,
                    FileMeta.RESOLVE_BENEATH | FileMeta.RESOLVE_NO_MAGICLINKS);
            if (fd == -Errno.EXDEV || fd == -Errno.ELOOP) return NO_ANSWER;
            return fd;
        }
        return NO_ANSWER;
    }

    @Override
    public void close() {
        for (int fd : fds) FileMeta.close(fd);
    }
}
