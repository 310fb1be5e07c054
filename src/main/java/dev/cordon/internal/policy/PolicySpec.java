package dev.cordon.internal.policy;

import dev.cordon.Access;
import dev.cordon.AuditLevel;
import dev.cordon.Limits;
import dev.cordon.PathRule;
import dev.cordon.Policy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A policy as read from one or more policy files, before command-line flags: lists add up, single values
 * (limits, cwd, audit...) are overridden by whatever comes later. No TOML here: loading a plain
 * {@code cordon run} never touches the parser.
 */
public final class PolicySpec {
    final List<PathRule> paths = new ArrayList<>();
    final Set<Integer> tcpConnect = new TreeSet<>();
    final Set<Integer> tcpBind = new TreeSet<>();
    final Map<String, String> environment = new LinkedHashMap<>();
    Path workingDirectory;
    Integer uid, gid;
    AuditLevel audit;
    Boolean namespaces, bestEffort, hideMetadata;
    Duration cpuTime, wallTime;
    long memory, processes, output, fileSize, openFiles, stack;
    /** Syscall rules text and where it was written ("file:line"), or null. */
    String syscalls, syscallsWhere;
    dev.cordon.Engine engine;
    /** The files read, in order, for messages and {@code cordon check}. */
    final List<String> sources = new ArrayList<>();

    /** Adds {@code later} on top of this: its lists are added, its single values replace these. */
    void merge(PolicySpec later) {
        paths.addAll(later.paths);
        tcpConnect.addAll(later.tcpConnect);
        tcpBind.addAll(later.tcpBind);
        environment.putAll(later.environment);
        if (later.workingDirectory != null) workingDirectory = later.workingDirectory;
        if (later.uid != null) uid = later.uid;
        if (later.gid != null) gid = later.gid;
        if (later.audit != null) audit = later.audit;
        if (later.namespaces != null) namespaces = later.namespaces;
        if (later.engine != null) engine = later.engine;
        if (later.bestEffort != null) bestEffort = later.bestEffort;
        if (later.hideMetadata != null) hideMetadata = later.hideMetadata;
        if (later.cpuTime != null) cpuTime = later.cpuTime;
        if (later.wallTime != null) wallTime = later.wallTime;
        if (later.memory > 0) memory = later.memory;
        if (later.processes > 0) processes = later.processes;
        if (later.output > 0) output = later.output;
        if (later.fileSize > 0) fileSize = later.fileSize;
        if (later.openFiles > 0) openFiles = later.openFiles;
        if (later.stack > 0) stack = later.stack;
        if (later.syscalls != null) {
            syscalls = later.syscalls;
            syscallsWhere = later.syscallsWhere;
        }
        for (String s : later.sources) if (!sources.contains(s)) sources.add(s);
    }

    /** The limits the files set (zero or null: not set). */
    public Limits limits() {
        return new Limits(cpuTime, wallTime, memory, processes, output, fileSize, openFiles, stack);
    }

    /**
     * Puts everything but the limits into {@code b} (the caller starts its limits from {@link #limits()} and
     * overrides them with flags). Flags applied afterwards add to the lists and replace single values.
     */
    public Policy.Builder applyTo(Policy.Builder b) {
        for (PathRule r : paths) b.allow(r.path(), r.access());
        for (int p : tcpConnect) b.tcpConnect(p);
        for (int p : tcpBind) b.tcpBind(p);
        environment.forEach(b::env);
        if (workingDirectory != null) b.workingDirectory(workingDirectory);
        if (uid != null || gid != null) {
            b.user(uid == null ? Policy.NOBODY : uid, gid == null ? Policy.NOBODY : gid);
        }
        if (audit != null) b.audit(audit);
        if (namespaces != null) b.namespaces(namespaces);
        if (engine != null) b.engine(engine);
        if (bestEffort != null) b.bestEffort(bestEffort);
        if (hideMetadata != null) b.exposeMetadata(!hideMetadata);
        if (syscalls != null) PolicyFiles.applySyscalls(b, syscalls, syscallsWhere);
        b.limits(limits());
        return b;
    }

    /** The whole policy these files describe, with no flags. */
    public Policy toPolicy() {
        return applyTo(Policy.builder()).build();
    }

    public List<String> sources() {
        return List.copyOf(sources);
    }

    /** Whether any file set syscall rules (applied through {@link PolicyFiles#applySyscalls}). */
    public String syscalls() {
        return syscalls;
    }

    static List<PathRule> byAccess(List<PathRule> rules, Access access) {
        return rules.stream().filter(r -> r.access() == access).toList();
    }
}
