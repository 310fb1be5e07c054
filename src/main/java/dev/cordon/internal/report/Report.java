package dev.cordon.internal.report;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.cordon.LimitExceeded;
import dev.cordon.Limits;
import dev.cordon.PathRule;
import dev.cordon.Policy;
import dev.cordon.RunResult;
import dev.cordon.SandboxedProcessInfo;
import dev.cordon.Termination;
import dev.cordon.Verdict;
import dev.cordon.Violation;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The run report: a one-line human summary for stderr, and the JSON document written by {@code --report}
 * (schema in the README, "Report").
 */
public final class Report {
    private Report() {}

    public static final int SCHEMA_VERSION = 1;

    /** {@code cordon: OK: exited with code 0 · wall 0.021 s · user 0.000 s · system 0.002 s}. */
    public static String summary(RunResult r) {
        String how = switch (r.termination()) {
            case Termination.Exited e -> "exited with code " + e.code();
            case Termination.Signaled s -> "killed by signal " + s.signal() + " (" + Signals.name(s.signal()) + ")";
        };
        StringBuilder sb = new StringBuilder("cordon: ").append(r.verdict());
        r.limitExceeded().ifPresent(l -> sb.append(" (").append(limitName(l)).append(" limit)"));
        sb.append(": ").append(how)
                .append(" · wall ").append(seconds(r.wallTime())).append(" s")
                .append(" · user ").append(seconds(r.userTime())).append(" s")
                .append(" · system ").append(seconds(r.systemTime())).append(" s");
        if (r.peakMemoryBytes() >= 0) sb.append(" · peak memory ").append(r.peakMemoryBytes() / 1024).append(" KiB");
        if (r.peakProcesses() >= 0) sb.append(" · peak processes ").append(r.peakProcesses());
        if (r.violationCount() > 0) sb.append(" · ").append(r.violationCount()).append(r.violationCount() == 1 ? " call" : " calls").append(" denied");
        if (!r.notEnforced().isEmpty()) sb.append(" · NOT ENFORCED: ").append(String.join("; ", r.notEnforced()));
        return sb.toString();
    }

    static String limitName(LimitExceeded l) {
        return l.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3f", d.toNanos() / 1e9);
    }

    /** Writes the report of a run that started. */
    public static void write(Path file, List<String> command, Policy policy, Instant started, RunResult r)
            throws IOException {
        write(file, command, policy, started, r, null, null);
    }

    /** Writes the report of a run that could not start: {@code status} is launch_failed or setup_failed. */
    public static void writeFailure(Path file, List<String> command, Policy policy, Instant started, String status,
                                    String error) throws IOException {
        write(file, command, policy, started, null, status, error);
    }

    private static void write(Path file, List<String> command, Policy policy, Instant started, RunResult r,
                              String failureStatus, String error) throws IOException {
        try (OutputStream out = Files.newOutputStream(file);
             JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("schema", SCHEMA_VERSION);
            g.writeStringField("started", started.toString());
            stringArray(g, "command", command);
            if (r == null) {
                g.writeStringField("status", failureStatus);
                g.writeStringField("verdict", Verdict.SANDBOX_ERROR.name());
                g.writeStringField("error", error);
            } else {
                switch (r.termination()) {
                    case Termination.Exited e -> {
                        g.writeStringField("status", "exited");
                        g.writeNumberField("exit_code", e.code());
                    }
                    case Termination.Signaled s -> {
                        g.writeStringField("status", "signaled");
                        g.writeNumberField("signal", s.signal());
                        g.writeStringField("signal_name", Signals.name(s.signal()));
                    }
                }
                g.writeNumberField("exit_status", r.exitStatus());
                g.writeStringField("verdict", r.verdict().name());
                if (r.limitExceeded().isPresent()) {
                    g.writeStringField("limit_exceeded", r.limitExceeded().get().name());
                } else {
                    g.writeNullField("limit_exceeded");
                }
                g.writeNumberField("pid", r.pid());
                g.writeNumberField("wall_time_s", r.wallTime().toNanos() / 1e9);
                g.writeNumberField("user_time_s", r.userTime().toNanos() / 1e9);
                g.writeNumberField("system_time_s", r.systemTime().toNanos() / 1e9);
                numberOrNull(g, "peak_memory_bytes", r.peakMemoryBytes());
                numberOrNull(g, "peak_processes", r.peakProcesses());
                numberOrNull(g, "stdout_bytes", r.stdoutBytes());
                numberOrNull(g, "stderr_bytes", r.stderrBytes());
                g.writeStringField("measured_by", r.measuredBy());
                stringArray(g, "layers", r.layers());
                stringArray(g, "not_enforced", r.notEnforced());
                g.writeArrayFieldStart("processes");
                for (SandboxedProcessInfo p : r.processes()) {
                    g.writeStartObject();
                    g.writeNumberField("pid", p.pid());
                    g.writeNumberField("parent", p.parent());
                    g.writeStringField("executable", p.executable());
                    stringArray(g, "command_line", p.commandLine());
                    if (p.signal() > 0) {
                        g.writeNumberField("signal", p.signal());
                    } else if (p.exitCode() >= 0) {
                        g.writeNumberField("exit_code", p.exitCode());
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeNumberField("violation_count", r.violationCount());
                g.writeArrayFieldStart("violations");
                for (Violation v : r.violations()) ViolationLog.writeObject(g, v);
                g.writeEndArray();
            }
            writePolicy(g, policy);
            g.writeEndObject();
        }
    }

    private static void writePolicy(JsonGenerator g, Policy p) throws IOException {
        g.writeObjectFieldStart("policy");
        g.writeArrayFieldStart("paths");
        for (PathRule rule : p.paths()) {
            g.writeStartObject();
            g.writeStringField("path", rule.path().toString());
            g.writeStringField("access", rule.access().name().toLowerCase(Locale.ROOT));
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("tcp_connect");
        for (int port : p.tcpConnect()) g.writeNumber(port);
        g.writeEndArray();
        g.writeArrayFieldStart("tcp_bind");
        for (int port : p.tcpBind()) g.writeNumber(port);
        g.writeEndArray();
        stringArray(g, "environment", p.environment().keySet().stream().sorted().toList());
        if (p.workingDirectory() != null) g.writeStringField("working_directory", p.workingDirectory().toString());
        writeLimits(g, p.limits());
        g.writeBooleanField("best_effort", p.bestEffort());
        g.writeEndObject();
    }

    private static void numberOrNull(JsonGenerator g, String name, long value) throws IOException {
        if (value >= 0) {
            g.writeNumberField(name, value);
        } else {
            g.writeNullField(name);
        }
    }

    private static void writeLimits(JsonGenerator g, Limits l) throws IOException {
        g.writeObjectFieldStart("limits");
        if (l.cpuTime() != null) g.writeNumberField("cpu_time_s", l.cpuTime().toNanos() / 1e9);
        if (l.wallTime() != null) g.writeNumberField("wall_time_s", l.wallTime().toNanos() / 1e9);
        if (l.memoryBytes() > 0) g.writeNumberField("memory_bytes", l.memoryBytes());
        if (l.processes() > 0) g.writeNumberField("processes", l.processes());
        if (l.outputBytes() > 0) g.writeNumberField("output_bytes", l.outputBytes());
        if (l.fileSize() > 0) g.writeNumberField("file_size_bytes", l.fileSize());
        if (l.openFiles() > 0) g.writeNumberField("open_files", l.openFiles());
        if (l.stack() > 0) g.writeNumberField("stack_bytes", l.stack());
        g.writeEndObject();
    }

    private static void stringArray(JsonGenerator g, String name, List<String> values) throws IOException {
        g.writeArrayFieldStart(name);
        for (String v : values) g.writeString(v);
        g.writeEndArray();
    }
}
