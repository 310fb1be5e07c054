package dev.cordon.internal.launch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a launch's time goes, for profiling only: with {@code -Dcordon.launch.profile=true} each run records
 * the time of its steps since {@code start()}, and at exit the JVM prints, per step, the median over all runs.
 * Disabled (the default) every call is a null check.
 */
final class LaunchProfile {
    static final boolean ENABLED = Boolean.getBoolean("cordon.launch.profile");
    private static final Map<String, List<Long>> STEPS = new LinkedHashMap<>();

    private final long t0 = System.nanoTime();
    private final List<String> labels = new ArrayList<>();
    private final List<Long> times = new ArrayList<>();

    private LaunchProfile() {}

    static {
        if (ENABLED) Runtime.getRuntime().addShutdownHook(new Thread(LaunchProfile::dump, "cordon-launch-profile"));
    }

    /** A new profile, or null when profiling is off. */
    static LaunchProfile start() {
        return ENABLED ? new LaunchProfile() : null;
    }

    static void mark(LaunchProfile p, String label) {
        if (p == null) return;
        long t = System.nanoTime() - p.t0;
        synchronized (p) {
            p.labels.add(label);
            p.times.add(t);
        }
    }

    /** The run is over: its steps join the totals. */
    static void end(LaunchProfile p) {
        if (p == null) return;
        mark(p, "end");
        synchronized (STEPS) {
            synchronized (p) {
                for (int i = 0; i < p.labels.size(); i++) {
                    STEPS.computeIfAbsent(p.labels.get(i), k -> new ArrayList<>()).add(p.times.get(i));
                }
            }
        }
    }

    private static void dump() {
        synchronized (STEPS) {
            System.err.println("cordon launch profile: step, runs, median ms since start() (p90), later half of the runs");
            for (Map.Entry<String, List<Long>> e : STEPS.entrySet()) {
                List<Long> all = e.getValue();
                // The first half are warm-up runs in a benchmark: only the later half counts.
                List<Long> w = new ArrayList<>(all.size() > 4 ? all.subList(all.size() / 2, all.size()) : all);
                w.sort(null);
                System.err.printf("  %-28s %5d %8.3f (%.3f)%n", e.getKey(), all.size(), w.get(w.size() / 2) / 1e6,
                        w.get(w.size() * 9 / 10) / 1e6);
            }
        }
    }
}
