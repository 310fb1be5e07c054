package dev.cordon.internal.ptrace;

/**
 * Something the tracer found that should not happen to a tracee held at a stop (seed 004): it was running,
 * gone, or at a different system call when the decision was applied. The sandbox is killed on any alert.
 */
public record Alert(int pid, String what) {}
