package dev.cordon.internal.landlock;

import dev.cordon.Access;
import dev.cordon.PathRule;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which files exist for a program when no mount namespace hides the rest: what lies beneath a rule (read,
 * write or execute), and the directories on the way to a rule, which a program must be able to stat to reach
 * it (/usr for /usr/bin), but not their other entries. Beneath a deny rule nothing is visible. Also which
 * files' metadata may be changed: those beneath a write rule.
 *
 * <p>Paths are compared as the kernel's bytes (here: resolved paths, decoded as ISO-8859-1 so that every byte
 * string round-trips), never as Java paths: a name that is not UTF-8 must not match a rule by accident.
 */
public final class Visibility {
    private final String[] roots;
    private final String[] rootSlash;
    private final String[] writable;
    private final String[] denied;
    /** Directories visible themselves, with their ancestors, but not their entries (the launch directory). */
    private final String[] alone;

    public Visibility(RuleExpansion.Expansion rules, List<Path> visibleDirectories) {
        List<String> r = new ArrayList<>(), w = new ArrayList<>(), d = new ArrayList<>(), a = new ArrayList<>();
        for (RuleExpansion.Grant g : rules.grants()) {
            r.add(bytes(g.path()));
            if (g.access() == Access.WRITE) w.add(bytes(g.path()));
        }
        for (PathRule dev : LandlockRuleset.STANDARD_DEVICES) {
            try {
                r.add(bytes(dev.path().toRealPath()));
            } catch (IOException e) {
                // Not on this machine: nothing to show.
            }
        }
        for (Path p : rules.denies()) d.add(bytes(p));
        for (Path p : visibleDirectories) {
            try {
                a.add(bytes(p.toRealPath()));
            } catch (IOException e) {
                // Gone: nothing to show.
            }
        }
        roots = r.toArray(String[]::new);
        rootSlash = r.stream().map(s -> s.equals("/") ? "/" : s + "/").toArray(String[]::new);
        writable = w.toArray(String[]::new);
        denied = d.toArray(String[]::new);
        alone = a.toArray(String[]::new);
    }

    /** The resolved paths of the allowing rules (ISO-8859-1 form): everything beneath one is visible. */
    public List<String> ruleRoots() {
        return List.of(roots);
    }

    /** A path as the kernel's bytes, in the ISO-8859-1 form used here. */
    public static String bytes(Path p) {
        return new String(p.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    private static boolean beneath(String path, String root) {
        return path.equals(root) || root.equals("/") || path.startsWith(root) && path.charAt(root.length()) == '/';
    }

    /** Whether the resolved path {@code real} (ISO-8859-1 form) exists for the program. */
    public boolean visible(String real) {
        for (String d : denied) {
            if (beneath(real, d)) return false;
        }
        for (int i = 0; i < roots.length; i++) {
            // Beneath a rule, or on the way to one.
            if (beneath(real, roots[i]) || rootSlash[i].startsWith(real.equals("/") ? "/" : real + "/")) return true;
        }
        for (String dir : alone) {
            if (beneath(dir, real)) return true;
        }
        return false;
    }

    /** Whether the program may change the metadata of the resolved path {@code real}: beneath a write rule. */
    public boolean writable(String real) {
        for (String d : denied) {
            if (beneath(real, d)) return false;
        }
        for (String w : writable) {
            if (beneath(real, w)) return true;
        }
        return false;
    }
}
