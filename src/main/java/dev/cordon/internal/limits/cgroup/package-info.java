/**
 * One cgroup per sandbox run: memory and pids limits for the whole process tree, exact CPU/memory/pids
 * usage counted by the kernel, and a kill that a fork bomb cannot outrun.
 *
 * <p>{@link dev.cordon.internal.limits.cgroup.Cgroups#detect()} picks, once per JVM, cgroup v2 (a writable
 * subtree with memory, pids, cpu: our own cgroup, else its parent's delegated subtree) or cgroup v1 (writable
 * memory, pids, cpuacct hierarchies, plus freezer when mounted), found from /proc/self/mountinfo and
 * /proc/self/cgroup; else it says why not ({@code Unavailable}), and Cordon falls back to rlimits.
 *
 * <p>Runs live in {@code cordon/cordon-<jvmpid>-<seq>} below our own cgroup (v1: in each hierarchy), so a
 * container's accounting still covers them; the {@code cordon} directory is removed when no run uses it.
 * Plain java.nio file I/O: no FFM here except the kill/pidfd calls of {@code dev.cordon.internal.sys.Sys}.
 */
package dev.cordon.internal.limits.cgroup;
