package dev.cordon;

import dev.cordon.internal.launch.Launcher;
import dev.cordon.internal.launch.OutputRelay;
import dev.cordon.internal.launch.SandboxRun;
import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.FdStreams;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Starts programs in a sandbox, the way {@link ProcessBuilder} starts processes:
 * <pre>{@code
 * Policy policy = Policy.builder().read("/usr", "/etc/ld.so.cache").execute("/usr/bin", "/usr/lib")
 *         .env("PATH", "/usr/bin").build();
 * RunResult r = new SandboxBuilder(policy, "python3", "-c", "print(1)").stdout(Redirect.PIPE).start().waitFor();
 * }</pre>
 * Any number of sandboxes may run at once in one JVM, beside the JDK's own processes.
 */
public final class SandboxBuilder {
    private final Policy policy;
    private final List<String> command;
    private Redirect stdin = Redirect.PIPE;
    private Redirect stdout = Redirect.PIPE;
    private Redirect stderr = Redirect.PIPE;
    private Consumer<Violation> onViolation = v -> { };
    private Consumer<SupervisedCall> onCall;

    public SandboxBuilder(Policy policy, List<String> command) {
        this.policy = Objects.requireNonNull(policy, "policy");
        if (command.isEmpty()) throw new PolicyException("no program given");
        for (String arg : command) {
            if (arg.indexOf('\0') >= 0) throw new PolicyException("an argument contains a NUL character");
        }
        this.command = List.copyOf(command);
    }

    public SandboxBuilder(Policy policy, String... command) {
        this(policy, List.of(command));
    }

    public SandboxBuilder stdin(Redirect r) {
        this.stdin = Objects.requireNonNull(r);
        return this;
    }

    public SandboxBuilder stdout(Redirect r) {
        this.stdout = Objects.requireNonNull(r);
        return this;
    }

    public SandboxBuilder stderr(Redirect r) {
        this.stderr = Objects.requireNonNull(r);
        return this;
    }

    /**
     * Called on the supervisor thread for each refused call, as it happens (the audit level decides which are
     * seen). Must return quickly: every sandbox of the JVM waits for it.
     */
    public SandboxBuilder onViolation(Consumer<Violation> listener) {
        this.onViolation = Objects.requireNonNull(listener);
        return this;
    }

    /**
     * Called on the supervisor thread for each supervised call that was let through (at audit level
     * {@link AuditLevel#ALL}: execs, file opens, connect and bind, memfd_create), for an strace-like view.
     */
    public SandboxBuilder onCall(Consumer<SupervisedCall> listener) {
        this.onCall = Objects.requireNonNull(listener);
        return this;
    }

    /** Inherit the caller's stdin, stdout and stderr. */
    public SandboxBuilder inheritIO() {
        return stdin(Redirect.INHERIT).stdout(Redirect.INHERIT).stderr(Redirect.INHERIT);
    }

    public Policy policy() {
        return policy;
    }

    public List<String> command() {
        return command;
    }

    /**
     * Starts the program. Returns once it runs under every restriction of the policy.
     *
     * @throws LaunchException  the program does not exist, is not executable or may not be executed
     * @throws SandboxException the sandbox cannot be set up as the policy asks
     */
    public SandboxProcess start() {
        List<Integer> toClose = new ArrayList<>(); // child ends, closed once the child has its copies
        int[] parentEnds = {-1, -1, -1};
        int[] childFds = new int[3];
        List<OutputRelay> relays = new ArrayList<>();
        List<Object[]> feeders = new ArrayList<>(); // {write end, bytes} for Redirect.Bytes
        try {
            Redirect[] redirects = {stdin, stdout, stderr};
            for (int i = 0; i < 3; i++) {
                // instanceof, not a pattern switch: its bootstrap costs the CLI's start-up a generated class.
                Redirect redirect = redirects[i];
                if (redirect instanceof Redirect.Inherit) {
                    childFds[i] = i;
                } else if (redirect instanceof Redirect.Discard) {
                    childFds[i] = Sys.open("/dev/null", (i == 0 ? Sys.O_RDONLY : Sys.O_WRONLY) | Sys.O_CLOEXEC, 0);
                    toClose.add(childFds[i]);
                } else if (redirect instanceof Redirect.File f) {
                    childFds[i] = openRedirect(f, i == 0);
                    toClose.add(childFds[i]);
                } else if (redirect instanceof Redirect.Bytes b) {
                    if (i != 0) throw new PolicyException("bytes can only be given as standard input");
                    int[] pipe = Sys.pipe2(Sys.O_CLOEXEC);
                    childFds[i] = pipe[0];
                    toClose.add(pipe[0]);
                    feeders.add(new Object[] {pipe[1], b.data()});
                } else if (redirect instanceof Redirect.Pipe) {
                    int[] pipe = Sys.pipe2(Sys.O_CLOEXEC);
                    childFds[i] = i == 0 ? pipe[0] : pipe[1];
                    parentEnds[i] = i == 0 ? pipe[1] : pipe[0];
                    toClose.add(childFds[i]);
                } else {
                    throw new IllegalStateException("unknown redirect " + redirect);
                }
            }
            long outputLimit = policy.limits().outputBytes();
            if (outputLimit > 0) {
                // The program writes into a pipe of Cordon's, which counts and passes it on to the real destination.
                for (int i = 1; i <= 2; i++) {
                    int[] pipe = Sys.pipe2(Sys.O_CLOEXEC);
                    boolean owned = toClose.remove((Integer) childFds[i]);
                    relays.add(new OutputRelay(pipe[0], childFds[i], owned, outputLimit));
                    childFds[i] = pipe[1];
                    toClose.add(pipe[1]);
                }
            }
            SandboxRun run = Launcher.start(new Launcher.Launch(policy, command, childFds, relays, onViolation, onCall));
            relays = List.of(); // the run owns them now
            for (Object[] f : feeders) feed((int) f[0], (byte[]) f[1]);
            feeders.clear();
            SandboxProcess process = new SandboxProcess(run, parentEnds);
            parentEnds = null; // owned by the process now
            return process;
        } finally {
            for (int fd : toClose) Sys.closeQuietly(fd);
            if (parentEnds != null) for (int fd : parentEnds) Sys.closeQuietly(fd);
            for (OutputRelay relay : relays) relay.closeUnstarted();
            for (Object[] f : feeders) Sys.closeQuietly((int) f[0]);
        }
    }

    /** Writes {@code data} into the program's stdin pipe, then closes it; off the caller's thread (pipes fill). */
    private static void feed(int fd, byte[] data) {
        Thread.ofVirtual().start(() -> {
            try (java.io.OutputStream out = FdStreams.output(fd)) {
                out.write(data);
            } catch (java.io.IOException e) {
                // The program stopped reading (or ended): what it did not read is dropped, as with a shell pipe.
            }
        });
    }

    private static int openRedirect(Redirect.File f, boolean input) {
        String path = f.path().toAbsolutePath().toString();
        int flags = input ? Sys.O_RDONLY : Sys.O_WRONLY | Sys.O_CREAT | (f.append() ? Sys.O_APPEND : Sys.O_TRUNC);
        try {
            return Sys.open(path, flags | Sys.O_CLOEXEC, 0644);
        } catch (SyscallException e) {
            throw new PolicyException("cannot open " + path + " for " + (input ? "stdin" : "output") + ": "
                    + Errno.describe(e.errno()));
        }
    }

    /** Starts the program with the caller's stdin, stdout and stderr, and waits for it. */
    public RunResult run() throws InterruptedException {
        try (SandboxProcess p = inheritIO().start()) {
            return p.waitFor();
        }
    }
}
