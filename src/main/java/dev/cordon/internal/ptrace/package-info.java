/**
 * A ptrace tracer for a whole sandboxed process tree (no FFM here: the calls are typed methods of
 * {@code dev.cordon.internal.sys.Sys}).
 *
 * <p>API: {@link dev.cordon.internal.ptrace.Tracer#start Tracer.start(pid, mode, handler)} seizes
 * {@code pid} from a new tracer thread and returns once the seize is done (or throws its errno);
 * {@link dev.cordon.internal.ptrace.TraceHandler} receives forks, threads, execs, exits and, in
 * {@link dev.cordon.internal.ptrace.TraceMode#ENGINE ENGINE} mode, each seccomp stop
 * ({@link dev.cordon.internal.ptrace.SyscallStop}), answered with a
 * {@link dev.cordon.internal.ptrace.TraceDecision} (allow, deny with an errno, kill the sandbox).
 * {@code Tracer.tracees()}, {@code processes()}, {@code alerts()}, {@code killAll()},
 * {@code completion()} (the last tracee is gone), {@code rootExit()}.
 *
 * <p>Integration with the launcher (not done here): seize the held child while its first execve waits
 * for the supervisor's answer, then answer; the tracer's first event is that exec. The held child is a
 * child of this JVM, so (see {@link dev.cordon.internal.ptrace.Tracer}) no other thread may wait for it
 * while it is traced (polling its pidfd is fine), and its exit status comes from
 * {@code Tracer.rootExit()}, because the tracer's wait reaps it.
 */
package dev.cordon.internal.ptrace;
