package dev.cordon.internal.landlock;

import dev.cordon.Access;
import dev.cordon.PathRule;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns allow and deny rules into allow-only rules, since Landlock can only allow. An allowing rule that has
 * a denied path beneath it is replaced by rules for each entry of its directory except the one leading to
 * the denied path, recursively down to it. The kernel then enforces the deny, without races and at no cost
 * per call. What it costs: the directories on the way to a denied path cannot be listed, nor can entries be
 * created in them, and entries created there later are not covered. Symbolic links need no rule: Landlock
 * checks the file a link leads to.
 */
public final class RuleExpansion {
    private RuleExpansion() {}

    /** A rule on a resolved path. */
    public record Grant(Path path, Access access) {}

    /**
     * The policy's path rules made allow-only: {@code grants} on resolved paths, and the resolved roots of the
     * deny rules. Computed once per launch; everything that needs the rules as Landlock applies them reads it.
     */
    public record Expansion(List<Grant> grants, List<Path> denies) {
        public Expansion {
            grants = List.copyOf(grants);
            denies = List.copyOf(denies);
        }

        /** Whether a resolved path lies beneath a deny rule. */
        public boolean denied(Path realPath) {
            for (Path d : denies) {
                if (realPath.startsWith(d)) return true;
            }
            return false;
        }
    }

    public static Expansion expand(List<PathRule> rules) {
        List<Path> denies = new ArrayList<>();
        for (PathRule r : rules) {
            if (r.access() == Access.DENY) denies.add(real(r.path()));
        }
        List<Grant> grants = new ArrayList<>();
        for (PathRule r : rules) {
            if (r.access() == Access.DENY) continue;
            Path root = real(r.path());
            if (denies.stream().anyMatch(root::startsWith)) continue; // denied as a whole
            List<Path> inside = denies.stream().filter(d -> d.startsWith(root)).toList();
            if (inside.isEmpty()) {
                grants.add(new Grant(root, r.access()));
            } else {
                split(root, r.access(), inside, grants);
            }
        }
        return new Expansion(grants, denies);
    }

    private static void split(Path dir, Access access, List<Path> denies, List<Grant> grants) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (Files.isSymbolicLink(entry) || denies.contains(entry)) continue;
                List<Path> inside = denies.stream().filter(d -> d.startsWith(entry)).toList();
                if (inside.isEmpty()) {
                    grants.add(new Grant(entry, access));
                } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    split(entry, access, inside, grants);
                }
            }
        } catch (IOException e) {
            // An unreadable directory contributes no rules: nothing beneath it is allowed, which is the safe side.
        }
    }

    static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p;
        }
    }
}
