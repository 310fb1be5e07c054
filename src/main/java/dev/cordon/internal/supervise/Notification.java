package dev.cordon.internal.supervise;

/** One seccomp user notification: a system call stopped before the kernel ran it. */
public record Notification(long id, int pid, int nr, int arch, long[] args) {}
