package dev.cordon;

import dev.cordon.internal.launch.SandboxRun;
import dev.cordon.internal.sys.FdStreams;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A running sandbox, like {@link Process}. {@link #close()} kills whatever is left of it and closes the
 * pipes; use it in try-with-resources.
 */
public final class SandboxProcess implements AutoCloseable {
    private final SandboxRun run;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;

    SandboxProcess(SandboxRun run, int[] parentEnds) {
        this.run = run;
        this.stdin = parentEnds[0] >= 0 ? FdStreams.output(parentEnds[0]) : OutputStream.nullOutputStream();
        this.stdout = parentEnds[1] >= 0 ? FdStreams.input(parentEnds[1]) : InputStream.nullInputStream();
        this.stderr = parentEnds[2] >= 0 ? FdStreams.input(parentEnds[2]) : InputStream.nullInputStream();
    }

    /** The program's process id as the caller sees it. */
    public long pid() {
        return run.pid();
    }

    /** The program's standard input, if it was redirected to a pipe. */
    public OutputStream stdin() {
        return stdin;
    }

    /** The program's standard output, if it was redirected to a pipe. */
    public InputStream stdout() {
        return stdout;
    }

    /** The program's standard error, if it was redirected to a pipe. */
    public InputStream stderr() {
        return stderr;
    }

    /** Completes when the program has exited and no process of the sandbox is left. */
    public CompletableFuture<RunResult> onExit() {
        return run.resultForCallers();
    }

    public boolean isAlive() {
        return !run.result().isDone();
    }

    public RunResult waitFor() throws InterruptedException {
        try {
            return run.result().get();
        } catch (ExecutionException e) {
            throw new SandboxException("the sandbox failed: " + e.getCause(), e.getCause());
        }
    }

    /** Waits at most {@code timeout}; empty if the sandbox still runs. */
    public Optional<RunResult> waitFor(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(run.result().get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new SandboxException("the sandbox failed: " + e.getCause(), e.getCause());
        }
    }

    /** Kills every process of the sandbox (SIGKILL). */
    public void destroy() {
        run.destroy();
    }

    @Override
    public void close() {
        destroy();
        closeQuietly(stdin);
        closeQuietly(stdout);
        closeQuietly(stderr);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // Closing a pipe end cannot fail in a way the caller could act on.
        }
    }
}
