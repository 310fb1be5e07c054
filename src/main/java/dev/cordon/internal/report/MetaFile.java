package dev.cordon.internal.report;

import dev.cordon.RunResult;
import dev.cordon.Termination;
import dev.cordon.Verdict;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The run in isolate's meta-file format ({@code key:value} lines), so that judges built on isolate can
 * switch without rewriting their parser. Times in seconds, memory in KiB, as isolate writes them.
 */
public final class MetaFile {
    private MetaFile() {}

    public static void write(Path file, RunResult r) throws IOException {
        StringBuilder sb = new StringBuilder();
        line(sb, "time", String.format(Locale.ROOT, "%.3f", r.userTime().plus(r.systemTime()).toNanos() / 1e9));
        line(sb, "time-wall", String.format(Locale.ROOT, "%.3f", r.wallTime().toNanos() / 1e9));
        if (r.peakMemoryBytes() >= 0) {
            line(sb, "max-rss", Long.toString(r.peakMemoryBytes() / 1024));
            line(sb, "cg-mem", Long.toString(r.peakMemoryBytes() / 1024));
        }
        if (r.verdict() == Verdict.MEMORY_LIMIT) line(sb, "cg-oom-killed", "1");
        switch (r.termination()) {
            case Termination.Exited e -> line(sb, "exitcode", Integer.toString(e.code()));
            case Termination.Signaled s -> line(sb, "exitsig", Integer.toString(s.signal()));
        }
        boolean killedBySandbox = r.limitExceeded().isPresent();
        if (killedBySandbox) line(sb, "killed", "1");
        String status = switch (r.verdict()) {
            case OK -> null;
            case TIME_LIMIT -> "TO";
            case SANDBOX_ERROR -> "XX";
            default -> r.termination() instanceof Termination.Signaled ? "SG" : "RE";
        };
        if (status != null) line(sb, "status", status);
        line(sb, "message", message(r));
        Files.writeString(file, sb.toString());
    }

    /** For a run that could not start. */
    public static void writeFailure(Path file, String error) throws IOException {
        Files.writeString(file, "status:XX\nmessage:" + error.replace('\n', ' ') + "\n");
    }

    private static String message(RunResult r) {
        String base = switch (r.termination()) {
            case Termination.Exited e -> "Exited with error status " + e.code();
            case Termination.Signaled s -> "Caught fatal signal " + s.signal();
        };
        return switch (r.verdict()) {
            case OK -> "OK";
            case TIME_LIMIT -> r.limitExceeded().map(l -> l.name().equals("WALL_TIME") ? "Time limit exceeded (wall clock)"
                    : "Time limit exceeded").orElse("Time limit exceeded");
            case MEMORY_LIMIT -> "Memory limit exceeded";
            case OUTPUT_LIMIT -> "Output limit exceeded";
            case PROCESS_LIMIT -> "Process limit exceeded";
            case POLICY_VIOLATION -> "Policy violation: " + base;
            default -> base;
        };
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append(key).append(':').append(value).append('\n');
    }
}
