package dev.cordon.internal.learn;

import dev.cordon.RunResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns what a learning run recorded into a policy file (the format of {@code cordon run --policy}): the paths by
 * access, collapsed where many entries of one directory were used, the syscalls as an allow-list, the TCP ports,
 * the environment and working directory the program had, and limits of the observed use times a margin.
 */
public final class PolicyWriter {
    private PolicyWriter() {}

    /** Floors of the learned limits: a run that took 3 ms of CPU must not be cut off by noise the next time. */
    static final Duration MIN_CPU = Duration.ofSeconds(1), MIN_WALL = Duration.ofSeconds(5);
    static final long MIN_MEMORY = 64L << 20;
    /**
     * Always allowed, whether this run made them or not: ending (exit_group), and the calls a learning run leaves
     * unobserved (SandboxFilter.LEARN_UNOBSERVED: memory, signal masks and returns, yielding, sleeping).
     */
    static final List<String> ALWAYS;

    static {
        List<String> always = new ArrayList<>(List.of("exit_group"));
        always.addAll(dev.cordon.internal.seccomp.SandboxFilter.LEARN_UNOBSERVED);
        ALWAYS = List.copyOf(always);
    }

    /** The options of a learning run that shape the file. */
    public record Options(int collapse, double margin, String base, List<String> command) {}

    /**
     * Collapses paths: a directory through which at least {@code threshold} of its entries were used (files in it,
     * or subdirectories with used files anywhere beneath) replaces everything used beneath it. Never "/" or a
     * top-level directory such as /usr or /home: that would grant a whole system tree. Then drops entries that
     * another entry's directory already covers.
     */
    static Set<Path> collapse(Collection<Path> paths, int threshold) {
        Map<Path, Set<Path>> children = new HashMap<>();
        for (Path p : paths) {
            for (Path child = p, dir = p.getParent(); dir != null; child = dir, dir = dir.getParent()) {
                if (dir.getNameCount() >= 2) children.computeIfAbsent(dir, k -> new TreeSet<>()).add(child);
            }
        }
        Set<Path> set = new TreeSet<>(paths);
        for (Map.Entry<Path, Set<Path>> e : children.entrySet()) {
            if (e.getValue().size() >= threshold && Files.isDirectory(e.getKey())) {
                set.removeIf(p -> p.startsWith(e.getKey()));
                set.add(e.getKey());
            }
        }
        return withoutCovered(set, Set.of());
    }

    /** {@code paths} without those inside a directory of {@code paths} or of {@code others}. */
    static Set<Path> withoutCovered(Set<Path> paths, Set<Path> others) {
        Set<Path> out = new TreeSet<>();
        for (Path p : paths) {
            boolean covered = false;
            for (Path d : paths) if (!d.equals(p) && p.startsWith(d) && Files.isDirectory(d)) covered = true;
            for (Path d : others) if (p.startsWith(d) && (d.equals(p) || Files.isDirectory(d))) covered = true;
            if (!covered) out.add(p);
        }
        return out;
    }

    /** Rules on "/" or a top-level directory: worth a reviewer's second look. */
    static Set<String> broad(Collection<Path> rules) {
        Set<String> out = new TreeSet<>();
        for (Path p : rules) if (p.isAbsolute() && p.getNameCount() <= 1) out.add(p.toString());
        return out;
    }

    public static String write(Recorder.Learned l, Map<String, String> env, Path cwd, RunResult r, Options o) {
        Set<Path> write = collapse(existing(l.write()), o.collapse());
        // A program it wrote itself (gcc's output, run next) may not exist when the policy is loaded again: the
        // directory it was written in gets the execute right instead.
        Set<Path> executed = new TreeSet<>();
        for (Path p : l.exec()) {
            executed.add(write.stream().filter(w -> p.startsWith(w) && Files.isDirectory(w)).findFirst().orElse(p));
        }
        Set<Path> exec = collapse(existing(executed), o.collapse());
        // Write and execute rules include reading.
        Set<Path> granting = new TreeSet<>(write);
        granting.addAll(exec);
        Set<Path> read = withoutCovered(collapse(existing(l.read()), o.collapse()), granting);
        Set<Path> all = new TreeSet<>(granting);
        all.addAll(read);

        StringBuilder s = new StringBuilder();
        s.append("# Learned by 'cordon learn' from: ").append(oneLine(String.join(" ", o.command()))).append('\n');
        s.append("# Base: ").append(o.base() == null ? "none" : "profile:" + o.base()).append("; directories with ")
                .append(o.collapse()).append(" or more used entries collapsed; limits: ")
                .append(number(o.margin())).append(" x the use observed.\n");
        s.append("# It allows what this run did and nothing else: review it, and learn again when the program changes.\n");
        s.append("cwd = ").append(quote(cwd.toString())).append('\n');
        s.append("# Every refusal is explained (\"denied\" is faster, but does not report refused file opens).\n");
        s.append("audit = \"all\"\n\n");
        list(s, "exec", exec);
        list(s, "read", read);
        list(s, "write", write);
        notes(s, "Not granted, though used (the policy cannot grant them):", l.notGranted());
        notes(s, "Refused while learning, so not granted:", l.refused());
        Set<String> statOnly = new TreeSet<>();
        for (Path d : l.statDirs()) {
            boolean near = all.stream().anyMatch(p -> p.startsWith(d) || d.startsWith(p));
            if (!near) statOnly.add(d.toString());
        }
        notes(s, "Only the metadata of these directories was read; not granted (a rule would grant the whole tree):",
                statOnly);
        notes(s, "Review: these rules cover all of / or a whole top-level tree (a Landlock rule on a directory covers "
                + "everything beneath it, so listing a directory grants its tree); narrow them by hand where you can:",
                broad(all));

        Set<String> calls = new TreeSet<>(l.syscalls());
        calls.addAll(ALWAYS);
        s.append("# The syscalls this run made (futex is always allowed); any other fails with EPERM and is reported.\n");
        s.append("syscalls = \"\"\"\n");
        StringBuilder line = new StringBuilder();
        for (String c : calls) {
            if (line.length() > 0 && line.length() + c.length() > 100) {
                s.append("allow ").append(line).append('\n');
                line.setLength(0);
            }
            if (line.length() > 0) line.append(", ");
            line.append(c);
        }
        if (line.length() > 0) s.append("allow ").append(line).append('\n');
        s.append("default errno EPERM\n\"\"\"\n");

        if (!l.tcpConnect().isEmpty() || !l.tcpBind().isEmpty()) {
            s.append("\n[network]\n");
            if (!l.tcpConnect().isEmpty()) s.append("tcp_connect = ").append(new TreeSet<>(l.tcpConnect())).append('\n');
            if (!l.tcpBind().isEmpty()) s.append("tcp_bind = ").append(new TreeSet<>(l.tcpBind())).append('\n');
        }
        if (!env.isEmpty()) {
            s.append("\n[env]\n");
            for (Map.Entry<String, String> e : new java.util.TreeMap<>(env).entrySet()) {
                s.append(quote(e.getKey())).append(" = ").append(quote(e.getValue())).append('\n');
            }
        }
        s.append("\n[limits]\n");
        Duration cpu = r.userTime().plus(r.systemTime());
        s.append("cpu_time = ").append(quote(seconds(max(scale(cpu, o.margin()), MIN_CPU))))
                .append("   # observed ").append(seconds(cpu)).append('\n');
        s.append("wall_time = ").append(quote(seconds(max(scale(r.wallTime(), o.margin()), MIN_WALL))))
                .append("   # observed ").append(seconds(r.wallTime())).append(" (learning slows the program)\n");
        if (r.peakMemoryBytes() > 0) {
            long m = Math.max(MIN_MEMORY, (long) Math.ceil(r.peakMemoryBytes() * o.margin()));
            s.append("memory = \"").append((m + (1 << 20) - 1) >> 20).append("M\"   # observed peak ")
                    .append(r.peakMemoryBytes() >> 10).append(" KiB (").append(r.measuredBy()).append(")\n");
        } else {
            s.append("# memory: not measured (").append(r.measuredBy()).append("): set one by hand\n");
        }
        if (r.peakProcesses() > 0) {
            long p = Math.max(r.peakProcesses() + 2, (long) Math.ceil(r.peakProcesses() * o.margin()));
            s.append("processes = ").append(p).append("   # observed peak ").append(r.peakProcesses())
                    .append(" processes and threads\n");
        } else {
            s.append("# processes: not measured (no cgroup): set a limit by hand\n");
        }
        return s.toString();
    }

    /** Recorded paths that still exist: a rule must name an existing file (a temporary one may be gone). */
    private static Set<Path> existing(Set<Path> paths) {
        Set<Path> out = new TreeSet<>();
        for (Path p : paths) if (Files.exists(p)) out.add(p);
        return out;
    }

    private static void list(StringBuilder s, String key, Set<Path> paths) {
        if (paths.isEmpty()) return;
        s.append(key).append(" = [\n");
        for (Path p : paths) s.append("    ").append(quote(p.toString())).append(",\n");
        s.append("]\n");
    }

    private static void notes(StringBuilder s, String title, Set<String> lines) {
        if (lines.isEmpty()) return;
        s.append("# ").append(title).append('\n');
        for (String l : new TreeSet<>(lines)) s.append("#   ").append(oneLine(l)).append('\n');
    }

    private static String oneLine(String s) {
        return s.replaceAll("[\\p{Cntrl}]", "?");
    }

    /** A TOML basic string. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    private static Duration scale(Duration d, double f) {
        return Duration.ofNanos((long) Math.ceil(d.toNanos() * f));
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Seconds with one decimal, rounded up: "1.3s". */
    private static String seconds(Duration d) {
        long tenths = (d.toMillis() + 99) / 100;
        return tenths / 10 + "." + tenths % 10 + "s";
    }

    private static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%s", d);
    }
}
