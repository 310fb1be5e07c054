package dev.cordon.internal.landlock;

import dev.cordon.PathRule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The path rules as Landlock applies them, evaluated in Java to explain a refusal before the kernel makes
 * it. The supervisor refuses a call itself only when this model is sure Landlock would refuse it; when in
 * doubt it lets the kernel decide. The model never allows anything by itself.
 */
public final class PathModel {
    /** What an access needs, in Landlock rights. */
    public static final long READ_FILE = LandlockRuleset.READ_FILE, READ_DIR = LandlockRuleset.READ_DIR,
            WRITE_FILE = LandlockRuleset.WRITE_FILE, EXECUTE = LandlockRuleset.EXECUTE,
            MAKE_REG = LandlockRuleset.MAKE_REG, TRUNCATE = LandlockRuleset.TRUNCATE;

    /** {@code prefix}: the path as a string, matched on the supervisor's hot path (audit level all: every open). */
    private record Grant(Path real, String prefix, long rights) {
        Grant(Path real, long rights) {
            this(real, real.toString(), rights);
        }

        /** Whether {@code path} (canonical) is this grant's path or under it: a string test, no Path objects. */
        boolean covers(String path) {
            if (!path.startsWith(prefix)) return false;
            return path.length() == prefix.length() || prefix.endsWith("/") || path.charAt(prefix.length()) == '/';
        }
    }

    private final List<Grant> grants = new ArrayList<>();
    private final long handled;

    private final RuleExpansion.Expansion rules;

    public PathModel(RuleExpansion.Expansion rules, int abi) {
        this.handled = LandlockRuleset.fsRights(abi);
        this.rules = rules;
        List<PathRule> all = new ArrayList<>();
        for (RuleExpansion.Grant g : rules.grants()) all.add(new PathRule(g.path(), g.access()));
        all.addAll(LandlockRuleset.STANDARD_DEVICES);
        for (PathRule rule : all) {
            try {
                Path real = rule.path().toRealPath();
                long rights = LandlockRuleset.rightsFor(rule.access());
                if (!Files.isDirectory(real)) rights &= LandlockRuleset.FILE_RIGHTS;
                grants.add(new Grant(real, rights));
            } catch (IOException e) {
                // A rule whose path is gone grants nothing.
            }
        }
    }

    /** The rights Landlock grants on a resolved path: the union of every rule at or above it. */
    long rightsAt(Path real) {
        String path = real.toString();
        long rights = 0;
        for (Grant g : grants) {
            if (g.covers(path)) rights |= g.rights();
        }
        return rights;
    }

    /**
     * Why Landlock refuses {@code needed} on {@code path} (absolute, possibly not existing yet), or empty if it
     * allows it or the model cannot tell.
     */
    public Optional<String> refusal(Path path, long needed) {
        needed &= handled;
        Path real;
        try {
            real = Files.exists(path) ? path.toRealPath()
                    : path.getParent() == null ? null : path.getParent().toRealPath().resolve(path.getFileName());
        } catch (IOException e) {
            return Optional.empty();
        }
        if (real == null) return Optional.empty();
        return refusalAt(real, needed);
    }

    /** As {@link #refusal}, for a path already resolved (no symlinks left); a path that does not exist yet is its parent's resolved path and its name. */
    public Optional<String> refusalAt(Path real, long needed) {
        needed &= handled;
        long missing;
        if ((needed & MAKE_REG) != 0) {
            // Creating a file is a right on the directory that will hold it.
            long onParent = real.getParent() == null ? 0 : rightsAt(real.getParent());
            missing = (needed & MAKE_REG) & ~onParent;
            missing |= (needed & ~MAKE_REG) & ~(rightsAt(real) | onParent);
        } else {
            missing = needed & ~rightsAt(real);
        }
        if (missing == 0) return Optional.empty();
        if (rules.denied(real)) return Optional.of("under a deny rule");
        if ((missing & EXECUTE) != 0) return Optional.of("not under an execute rule");
        if ((missing & (WRITE_FILE | MAKE_REG | TRUNCATE)) != 0) return Optional.of("not in write rules");
        return Optional.of("not in read rules");
    }
}
