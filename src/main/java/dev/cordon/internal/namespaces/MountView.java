package dev.cordon.internal.namespaces;

import dev.cordon.Access;
import dev.cordon.PathRule;
import dev.cordon.internal.landlock.RuleExpansion;
import dev.cordon.internal.sys.Sys;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The file system a sandboxed program sees in its own mount namespace (root only): a small tmpfs root
 * holding bind mounts of exactly the policy's paths (read-only unless written, noexec unless executed,
 * nosuid and nodev always), the standard devices, the root's top-level symbolic links ({@code /bin -> usr/bin}),
 * and empty {@code /proc} and {@code /sys} mount points that {@link ProcMounter} fills once the program's pid
 * namespace has its first process. Anything else does not exist: {@code stat} and {@code ls} of it give ENOENT.
 * Landlock stays on underneath.
 *
 * <p>Planned in the caller's thread; applied by the launch thread after it unshared its mount namespace. The
 * sources are opened there, in the new namespace (a bind mount's source must be in the caller's namespace),
 * before the staging tmpfs covers anything.
 */
public final class MountView implements AutoCloseable {
    /** Where the new root is assembled before pivot_root; exists on every Linux, and is shadowed only in our namespace. */
    static final String STAGING = "/tmp";

    private record Bind(String source, String target, boolean directory, long flags) {}

    private record Link(String name, String target) {}

    private static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom", "tty");

    private final List<Bind> binds = new ArrayList<>();
    private final List<Link> links = new ArrayList<>();
    private final boolean proc, sys, tmp;
    private boolean devTty;

    private MountView(boolean proc, boolean sys, boolean tmp) {
        this.proc = proc;
        this.sys = sys;
        this.tmp = tmp;
    }

    /** {@code freshTmp}: a private, empty, writable /tmp (a small tmpfs), whatever the rules say about /tmp. */
    public static MountView prepare(List<PathRule> rules, RuleExpansion.Expansion expansion, boolean freshTmp) {
        boolean proc = rules.stream().anyMatch(r -> r.access() != Access.DENY && r.path().startsWith("/proc"));
        boolean sys = rules.stream().anyMatch(r -> r.access() != Access.DENY && r.path().startsWith("/sys"));
        MountView view = new MountView(proc, sys, freshTmp);
        try {
            List<RuleExpansion.Grant> grants = new ArrayList<>(expansion.grants());
            grants.sort(Comparator.comparingInt(g -> g.path().getNameCount()));
            for (RuleExpansion.Grant g : grants) {
                if (g.path().startsWith("/proc") || g.path().startsWith("/sys")) continue; // fresh mounts instead
                if (freshTmp && g.path().startsWith("/tmp")) continue; // the private /tmp replaces it
                long flags = Sys.MS_NOSUID | Sys.MS_NODEV;
                if (g.access() != Access.WRITE) flags |= Sys.MS_RDONLY;
                if (g.access() != Access.EXECUTE) flags |= Sys.MS_NOEXEC;
                view.bind(g.path(), g.path().toString(), flags);
            }
            for (String d : DEVICES) {
                Path dev = Path.of("/dev", d);
                if (Files.exists(dev)) {
                    view.bind(dev, dev.toString(), Sys.MS_NOSUID | Sys.MS_NOEXEC | (d.endsWith("random") ? Sys.MS_RDONLY : 0));
                    if (d.equals("tty")) view.devTty = true;
                }
            }
            try (DirectoryStream<Path> root = Files.newDirectoryStream(Path.of("/"))) {
                for (Path entry : root) {
                    if (Files.isSymbolicLink(entry)) {
                        view.links.add(new Link(entry.getFileName().toString(), Files.readSymbolicLink(entry).toString()));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new dev.cordon.SandboxException("preparing the mount namespace: " + e.getMessage(), e);
        }
        return view;
    }

    private void bind(Path source, String target, long flags) {
        binds.add(new Bind(source.toString(), target, Files.isDirectory(source), flags));
    }

    public boolean wantsProc() {
        return proc;
    }

    public boolean wantsSys() {
        return sys;
    }

    /**
     * Builds the view and makes it the calling thread's root. Called on the launch thread, in its new mount
     * namespace, before it drops privileges. {@code mountPointRule} is given the view's root when /proc or /sys
     * will be mounted later, so that Landlock can allow reading them.
     */
    public void apply(java.util.function.Consumer<String> mountPointRule, java.util.function.Consumer<String> writableRule) {
        Sys.mount(null, "/", null, Sys.MS_REC | Sys.MS_PRIVATE, null);
        int[] sources = new int[binds.size()];
        try {
            for (int i = 0; i < sources.length; i++) {
                sources[i] = Sys.open(binds.get(i).source(), Sys.O_PATH | Sys.O_CLOEXEC, 0);
            }
            build(sources, mountPointRule, writableRule);
        } finally {
            for (int fd : sources) if (fd > 0) Sys.closeQuietly(fd);
        }
    }

    private void build(int[] sources, java.util.function.Consumer<String> mountPointRule,
                       java.util.function.Consumer<String> writableRule) {
        Sys.mount("tmpfs", STAGING, "tmpfs", Sys.MS_NOSUID | Sys.MS_NODEV, "mode=0755,size=1m");
        Sys.mkdir(STAGING + "/dev", 0755);
        for (int i = 0; i < binds.size(); i++) {
            Bind b = binds.get(i);
            String target = STAGING + b.target();
            makeParents(target);
            if (b.directory()) {
                Sys.mkdir(target, 0755);
            } else if (!Files.exists(Path.of(target))) {
                Sys.close(Sys.open(target, Sys.O_WRONLY | Sys.O_CREAT | Sys.O_CLOEXEC, 0644));
            }
            Sys.mount("/proc/self/fd/" + sources[i], target, null, Sys.MS_BIND | Sys.MS_REC, null);
            Sys.mount(null, target, null, Sys.MS_REMOUNT | Sys.MS_BIND | b.flags(), null);
        }
        for (Link l : links) {
            if (!Files.exists(Path.of(STAGING, l.name()), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Sys.symlink(l.target(), STAGING + "/" + l.name());
            }
        }
        // The program's own terminals and shared memory: a devpts instance holding only its ptys, and a small tmpfs.
        Sys.mkdir(STAGING + "/dev/pts", 0755);
        Sys.mount("devpts", STAGING + "/dev/pts", "devpts", Sys.MS_NOSUID | Sys.MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620");
        Sys.symlink("pts/ptmx", STAGING + "/dev/ptmx");
        writableRule.accept(STAGING + "/dev/pts");
        Sys.mkdir(STAGING + "/dev/shm", 01777);
        Sys.mount("tmpfs", STAGING + "/dev/shm", "tmpfs", Sys.MS_NOSUID | Sys.MS_NODEV | Sys.MS_NOEXEC,
                "mode=1777,size=64m");
        writableRule.accept(STAGING + "/dev/shm");
        if (devTty) writableRule.accept(STAGING + "/dev/tty");
        Sys.symlink("/proc/self/fd", STAGING + "/dev/fd");
        Sys.symlink("/proc/self/fd/0", STAGING + "/dev/stdin");
        Sys.symlink("/proc/self/fd/1", STAGING + "/dev/stdout");
        Sys.symlink("/proc/self/fd/2", STAGING + "/dev/stderr");
        if (tmp) {
            Sys.mkdir(STAGING + "/tmp", 01777);
            Sys.mount("tmpfs", STAGING + "/tmp", "tmpfs", Sys.MS_NOSUID | Sys.MS_NODEV | Sys.MS_NOEXEC,
                    "mode=1777,size=64m");
            writableRule.accept(STAGING + "/tmp"); // made before the ruleset is sealed: Landlock can allow it
        }
        if (proc) Sys.mkdir(STAGING + "/proc", 0555);
        if (sys) Sys.mkdir(STAGING + "/sys", 0555);
        if (proc || sys) {
            // Landlock skips a mount point's own directory when it walks up out of what is mounted there, so
            // the private /proc and /sys, mounted after the ruleset is sealed, are allowed through the view's
            // root. That adds reading of what the view holds: the policy's own trees, the devices, /proc, /sys.
            mountPointRule.accept(STAGING);
        }
        Sys.mount(null, STAGING, null, Sys.MS_REMOUNT | Sys.MS_RDONLY | Sys.MS_NOSUID | Sys.MS_NODEV, null);
        // The classic way to swap roots without a spare directory: the old root ends up stacked on the new one
        // and is detached from it.
        Sys.chdir(STAGING);
        Sys.pivotRoot(".", ".");
        Sys.umount2(".", Sys.MNT_DETACH);
        Sys.chdir("/");
    }

    private static void makeParents(String target) {
        Path p = Path.of(target).getParent();
        List<Path> missing = new ArrayList<>();
        while (p != null && !Files.exists(p)) {
            missing.add(p);
            p = p.getParent();
        }
        for (int i = missing.size() - 1; i >= 0; i--) Sys.mkdir(missing.get(i).toString(), 0755);
    }

    @Override
    public void close() {
        // Nothing held: sources are opened and closed by apply().
    }
}
