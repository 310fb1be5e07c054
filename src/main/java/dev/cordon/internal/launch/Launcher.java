package dev.cordon.internal.launch;

import dev.cordon.AuditLevel;
import dev.cordon.Engine;
import dev.cordon.LaunchException;
import dev.cordon.Violation;
import dev.cordon.Policy;
import dev.cordon.PolicyException;
import dev.cordon.SandboxException;
import dev.cordon.internal.landlock.LandlockRuleset;
import dev.cordon.internal.landlock.PathModel;
import dev.cordon.internal.landlock.RuleExpansion;
import dev.cordon.internal.landlock.Visibility;
import dev.cordon.internal.namespaces.MountView;
import dev.cordon.Limits;
import dev.cordon.internal.limits.Rlimits;
import dev.cordon.internal.limits.UserThread;
import dev.cordon.internal.limits.cgroup.CgroupDriver;
import dev.cordon.internal.limits.cgroup.CgroupException;
import dev.cordon.internal.limits.cgroup.CgroupLimits;
import dev.cordon.internal.limits.cgroup.CgroupSupport;
import dev.cordon.internal.limits.cgroup.Cgroups;
import dev.cordon.internal.limits.cgroup.RunCgroup;
import dev.cordon.internal.seccomp.SandboxFilter;
import dev.cordon.internal.seccomp.SyscallPolicy;
import dev.cordon.internal.seccomp.SyscallPolicyParser;
import dev.cordon.internal.syscalls.Arch;
import dev.cordon.internal.supervise.Supervisor;
import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.FileMeta;
import dev.cordon.internal.sys.SeccompNative;
import dev.cordon.internal.sys.Spawn;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Starts a sandboxed program. Everything is prepared in the caller's thread; then a fresh platform thread
 * restricts itself, in this order: credentials (as root), no_new_privs, Landlock, seccomp with a listener,
 * and calls posix_spawn. The child inherits the thread's restrictions; the JVM keeps its own. The child's
 * first execve is held by the supervisor until its limits are in place. No Java code runs in the child and
 * the JVM is never forked.
 */
public final class Launcher {
    private Launcher() {}

    /**
     * What a launch needs from the kernel and the C library, made on first use: the credentials read once and
     * every native call of the launch thread linked. A holder of its own, so that {@link #prepare()} can do this
     * (tens of milliseconds in a fresh JVM: JDK 25 generates the downcall stub at run time) on another thread
     * while {@link #start} expands the rules and compiles the filter, which need no native call.
     */
    private static final class Natives {
        static final boolean ROOT = Sys.geteuid() == 0;
        static final int LAST_CAP = Credentials.lastCapability();
        /**
         * Root with CAP_SYS_RESOURCE sets a held child's rlimits itself; without it (as in many containers) prlimit
         * on another user's process is refused, and a thread with the sandbox's uid and gid does it instead, at
         * the price of a hand-off per launch. Read once, from the class's initialising (unrestricted) thread.
         */
        static final boolean PRLIMIT_NEEDS_USER_THREAD = ROOT && !Credentials.effective(Credentials.CAP_SYS_RESOURCE);
        static final int FILTER_FLAGS = SeccompNative.FLAG_NEW_LISTENER
                | (SeccompNative.filterFlagKnown(SeccompNative.FLAG_WAIT_KILLABLE_RECV) ? SeccompNative.FLAG_WAIT_KILLABLE_RECV : 0);
        /** Whether the kernel has seccomp user notification (SECCOMP_RET_USER_NOTIF). */
        static final boolean USER_NOTIF = SeccompNative.actionAvailable(0x7fc00000);

        static {
            // After Landlock the launch thread may be unable to read the application's classes: link every
            // native function it calls and load every class it may touch (its error path included) now.
            Spawn.link();
            Errno.describe(Errno.EPERM);
            new SyscallException("posix_spawn", Errno.EPERM).getMessage();
            try {
                // What a blocking CompletableFuture.join loads: the launch thread waits in one after its filter.
                Class.forName("java.util.concurrent.CompletableFuture$Signaller");
            } catch (ClassNotFoundException e) {
                // Another JDK's implementation: then loaded on first use, from the JDK's mapped image.
            }
        }
    }

    /**
     * Links the native calls of a launch and reads the credentials now; {@link #start} otherwise does it on first
     * use. For the CLI, which calls it on a thread of its own at start-up (README, "Speed"). Idempotent.
     */
    public static void prepare() {
        boolean initialised = Natives.ROOT; // reading a field initialises the holder, once
    }

    /**
     * The program's descriptors 0, 1, 2 are copies of these parent descriptors; {@code relays} carry stdout
     * and stderr on to their destination when an output limit is set (else empty).
     */
    public record Launch(Policy policy, List<String> command, int[] stdio, List<OutputRelay> relays,
                         Consumer<Violation> onViolation, Consumer<dev.cordon.SupervisedCall> onCall,
                         dev.cordon.internal.supervise.CallObserver learn) {
        public Launch(Policy policy, List<String> command, int[] stdio, List<OutputRelay> relays,
                      Consumer<Violation> onViolation, Consumer<dev.cordon.SupervisedCall> onCall) {
            this(policy, command, stdio, relays, onViolation, onCall, null);
        }
    }

    private static final AtomicBoolean STALE_CLEANED = new AtomicBoolean();

    /**
     * What the shutdown hooks do, for a caller about to halt the JVM: kill any sandbox still alive and remove
     * the cgroup parents this JVM made.
     */
    public static void shutdownCleanly() {
        SandboxRun.destroyAll();
        dev.cordon.internal.limits.cgroup.Cgroups.removeParents();
    }

    public static SandboxRun start(Launch launch) {
        LaunchProfile prof = LaunchProfile.start();
        Policy policy = launch.policy();
        Path cwd = policy.workingDirectory() != null ? policy.workingDirectory() : Path.of("").toAbsolutePath();
        if (!Files.isDirectory(cwd)) throw new PolicyException("working directory " + cwd + " does not exist");
        // The rules as Landlock applies them, made once: the ruleset, the mount view and the supervisor's model
        // of the rules all read this.
        RuleExpansion.Expansion expansion = RuleExpansion.expand(policy.paths());
        LaunchProfile.mark(prof, "rules expanded");
        if (policy.namespaces() && Natives.ROOT && policy.workingDirectory() == null && !visible(cwd, expansion)) {
            cwd = Path.of("/"); // the caller's directory does not exist in the program's view
        }
        Path program = ProgramResolver.resolve(launch.command().getFirst(), policy.environment().get("PATH"), cwd);

        List<String> layers = new ArrayList<>();

        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : policy.environment().entrySet()) env.add(e.getKey() + "=" + e.getValue());

        int namespaces = namespaceFlags(policy, layers);
        SyscallPolicy syscalls = policy.syscalls().isEmpty() ? null : SyscallPolicyParser.parse(policy.syscalls().sources()
                .stream().map(s -> new SyscallPolicyParser.Source(s.name(), s.text())).toList(), Arch.current());
        boolean writes = policy.paths().stream().anyMatch(r -> r.access() == dev.cordon.Access.WRITE) || policy.freshTmp();
        // Without a mount namespace the program sees the whole file tree; Landlock keeps it from opening what is
        // outside the policy but not from reading its metadata: the supervisor hides that (MetadataCalls).
        // Changes too are decided by path there; a mount view's read-only mounts refuse them by themselves.
        boolean mountView = (namespaces & Sys.CLONE_NEWNS) != 0;
        boolean hideMetadata = !mountView && !policy.exposeMetadata();
        boolean changesByPath = writes && !mountView;
        SandboxFilter sandboxFilter = SandboxFilter.build(policy.network(), policy.audit() != AuditLevel.NONE,
                policy.audit() == AuditLevel.ALL, (namespaces & Sys.CLONE_NEWIPC) != 0, writes, changesByPath,
                hideMetadata, syscalls);
        if (policy.engine() == Engine.PTRACE) sandboxFilter = sandboxFilter.forPtraceEngine();
        if (launch.learn() != null) sandboxFilter = sandboxFilter.forLearning(); // cordon learn: notify engine only
        byte[] filter = sandboxFilter.compile();
        LaunchProfile.mark(prof, "filter compiled");
        // Also Java only, and cached: read while another thread may still be linking (see Natives).
        Cgroups.detect();
        // The native calls begin here (everything above is Java only: see Natives).
        if (!Natives.USER_NOTIF) {
            throw new SandboxException("the kernel has no seccomp user notification (Linux 5.0+): the program "
                    + "cannot be held before its first instruction nor supervised");
        }
        PathModel model = new PathModel(expansion, LandlockRuleset.abi());
        try (LandlockRuleset ruleset = LandlockRuleset.create(expansion, policy.tcpConnect(), policy.tcpBind(),
                policy.bestEffort());
             // No chdir action: the launch thread changes directory itself, before its filter, so that the
             // child's chdir is not a supervised call (a round trip per launch).
             Spawn.Prepared spawn = Spawn.prepare(program.toString(), launch.command(), env, launch.stdio(), null);
             MountView view = (namespaces & Sys.CLONE_NEWNS) != 0 ? MountView.prepare(policy.paths(), expansion, policy.freshTmp()) : null) {
            LaunchProfile.mark(prof, "ruleset, spawn prepared");
            if (namespaces != 0) layers.add(namespaceLayer(namespaces));
            if (Natives.ROOT) layers.add("credentials: uid " + policy.uid() + ", gid " + policy.gid() + ", no groups, no capabilities");
            layers.add("no_new_privs");
            if (ruleset.active()) layers.add("landlock abi " + ruleset.abiVersion());
            layers.add("seccomp filter (" + filter.length / 8 + " instructions)");
            if (syscalls != null) layers.add("syscall policy (" + syscalls.entries().size() + " rules, default "
                    + SyscallPolicy.describe(syscalls.defaultAction()) + ")");
            layers.add("supervisor (" + policy.engine().name().toLowerCase(java.util.Locale.ROOT)
                    + " engine): held first exec, session tracking, audit level "
                    + policy.audit().name().toLowerCase(java.util.Locale.ROOT));

            List<String> notEnforced = new ArrayList<>(ruleset.notEnforced());
            if (hideMetadata) {
                layers.add("hidden metadata: stat, access, readlink, xattrs, statfs, chdir and O_PATH opens of paths "
                        + "outside the policy fail with ENOENT (supervisor)");
            } else if ((namespaces & Sys.CLONE_NEWNS) == 0) {
                notEnforced.add("metadata of files outside the policy (stat, access, readlink, xattrs) is readable: "
                        + "hiding it was turned off (--no-hide-metadata)");
            }
            if (changesByPath) {
                layers.add("metadata changes (chmod, chown, utimes, xattrs) beneath write rules only (supervisor)");
            }
            RunCgroup cgroup = cgroup(policy, layers, notEnforced);
            LaunchProfile.mark(prof, "cgroup created");
            try {
                // The sandbox user's thread: prlimit when root lacks CAP_SYS_RESOURCE, and the metadata calls the
                // supervisor performs for the program as root (they must be checked with the program's credentials).
                boolean userThread = Natives.ROOT && (Natives.PRLIMIT_NEEDS_USER_THREAD || hideMetadata || changesByPath);
                UserThread limitsThread = userThread ? UserThread.forUser(policy.uid(), policy.gid(), Natives.LAST_CAP) : null;
                LaunchProfile.mark(prof, "user thread");
                SandboxRun.Checks checks = new SandboxRun.Checks(model, policy.tcpConnect(), policy.tcpBind(),
                        new Visibility(expansion, List.of(cwd)), hideMetadata, changesByPath, policy.audit() == AuditLevel.ALL,
                        policy.uid(), policy.gid());
                SandboxRun run = new SandboxRun(policy.limits(), sandboxFilter, checks, launch.onViolation(),
                        Rlimits.of(policy.limits(), cgroup != null), limitsThread, cgroup, launch.relays(), layers,
                        notEnforced, view, policy.bestEffort(), policy.engine());
                run.onCall(launch.onCall());
                run.profile = prof;
                if (launch.learn() != null) run.observe(launch.learn());
                LaunchThread thread = new LaunchThread(policy, namespaces, ruleset, filter, spawn, view, cwd.toString());
                thread.runAndWait(run);
                LaunchProfile.mark(prof, "launch thread joined");
                if (thread.failure != null) {
                    Sys.closeQuietly(run.heldPidfd());
                    throw launchFailure(thread, program, run, model);
                }
                int pidfd = run.heldPidfd();
                cgroup = null; // the run owns it now
                run.started(thread.pid, pidfd);
                LaunchProfile.mark(prof, "started");
                SpareThread.replenish();
                return run;
            } finally {
                if (cgroup != null) cgroup.close();
            }
        }
    }

    /**
     * A cgroup for the run where the machine allows one: it measures and limits the whole tree. Without one,
     * memory and CPU fall back to per-process rlimits, named in the layers, and a process limit cannot be
     * enforced at all: refused, unless best effort.
     */
    private static RunCgroup cgroup(Policy policy, List<String> layers, List<String> notEnforced) {
        Limits limits = policy.limits();
        CgroupSupport support = Cgroups.detect();
        String reason;
        if (support instanceof CgroupDriver driver) {
            if (STALE_CLEANED.compareAndSet(false, true)) driver.cleanStale();
            try {
                RunCgroup cgroup = driver.create("run", new CgroupLimits(limits.memoryBytes(), limits.processes()));
                layers.add("limits and accounting: " + cgroup.describe());
                return cgroup;
            } catch (CgroupException e) {
                reason = e.getMessage();
            }
        } else {
            reason = ((CgroupSupport.Unavailable) support).reason();
        }
        if (limits.processes() > 0) {
            layers.add("process limit by the ptrace guard: the sandbox is killed when it is exceeded (no cgroup: "
                    + reason + ")");
        }
        if (limits.memoryBytes() > 0) layers.add("memory limit per process (RLIMIT_DATA), no cgroup: " + reason);
        if (limits.cpuTime() != null) layers.add("CPU time limit per process (RLIMIT_CPU), no cgroup");
        return null;
    }

    /**
     * The namespaces a launch thread creates: pid (the program is pid 1 and the whole namespace dies with it),
     * IPC (no host SysV objects, so SysV IPC may be allowed), UTS (its own host name), and an empty network
     * namespace when no network is allowed. With TCP ports allowed the host's network stays, guarded by
     * Landlock and the filter. Root only: an ordinary user's JVM cannot create them (CLONE_NEWUSER is refused
     * to a multi-threaded process).
     */
    private static int namespaceFlags(Policy policy, List<String> layers) {
        if (!policy.namespaces()) return 0;
        if (!Natives.ROOT) {
            if (!policy.bestEffort()) {
                throw new SandboxException("namespaces need root: an ordinary user's JVM cannot create them; run "
                        + "without --namespaces, or pass --best-effort to run without them");
            }
            return 0;
        }
        int flags = Sys.CLONE_NEWNS | Sys.CLONE_NEWPID | Sys.CLONE_NEWIPC | Sys.CLONE_NEWUTS | Sys.CLONE_NEWCGROUP;
        if (!policy.network()) flags |= Sys.CLONE_NEWNET;
        return flags;
    }

    private static String namespaceLayer(int flags) {
        List<String> names = new ArrayList<>();
        if ((flags & Sys.CLONE_NEWNS) != 0) names.add("mount (only the policy's paths)");
        if ((flags & Sys.CLONE_NEWPID) != 0) names.add("pid (the program is pid 1)");
        if ((flags & Sys.CLONE_NEWNET) != 0) names.add("network (empty)");
        if ((flags & Sys.CLONE_NEWIPC) != 0) names.add("ipc");
        if ((flags & Sys.CLONE_NEWUTS) != 0) names.add("uts (host name " + HOSTNAME + ")");
        if ((flags & Sys.CLONE_NEWCGROUP) != 0) names.add("cgroup");
        return "namespaces: " + String.join(", ", names);
    }

    static final String HOSTNAME = "cordon";

    /** Whether a directory is inside the program's mount view (beneath an allowing rule). */
    private static boolean visible(Path dir, RuleExpansion.Expansion expansion) {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (java.io.IOException e) {
            return false;
        }
        return expansion.grants().stream().anyMatch(g -> real.startsWith(g.path()));
    }

    private static SandboxException launchFailure(LaunchThread thread, Path program, SandboxRun run, PathModel model) {
        SyscallException e = thread.failure;
        if (run.holdFailure() != null) {
            return new SandboxException("sandbox setup failed: " + run.holdFailure());
        }
        if (!"posix_spawn".equals(e.call())) {
            return new SandboxException("sandbox setup failed while " + thread.stage + ": " + e.getMessage());
        }
        return switch (e.errno()) {
            case Errno.ENOENT -> new LaunchException(LaunchException.Reason.NOT_FOUND, program,
                    "program " + program + " not found, or its ELF interpreter is missing");
            case Errno.EACCES, Errno.EPERM -> new LaunchException(LaunchException.Reason.DENIED_BY_POLICY, program,
                    "executing " + program + " is denied by the policy: " + ExecDiagnosis.explain(program, model));
            case Errno.ENOEXEC -> new LaunchException(LaunchException.Reason.NOT_EXECUTABLE, program,
                    "program " + program + " is not in an executable format");
            default -> new LaunchException(LaunchException.Reason.OTHER, program,
                    "starting " + program + " failed: " + e.getMessage());
        };
    }

    /**
     * A platform thread started ahead of time to serve as the next launch thread: starting a thread costs a
     * clone and two hand-offs between it and its starter (HotSpot waits for it to initialise, then lets it
     * run), which the caller otherwise pays on its launch's critical path. The spare is started once a launch
     * is under way (the program running meanwhile) and serves one launch only: it ends with it, restricted.
     * It is created as the fresh launch thread was, by a caller's (unrestricted) thread, and runs nothing
     * before its launch.
     */
    private static final class SpareThread {
        private static final java.util.concurrent.atomic.AtomicReference<SpareThread> SPARE =
                new java.util.concurrent.atomic.AtomicReference<>();

        private final CompletableFuture<Runnable> job = new CompletableFuture<>();
        private final Thread thread = Thread.ofPlatform().name("cordon-launch").daemon().unstarted(() -> job.join().run());

        private SpareThread() {
            thread.start();
        }

        /** The spare if there is one (taken), else a thread started now. */
        static SpareThread take() {
            SpareThread s = SPARE.getAndSet(null);
            return s != null ? s : new SpareThread();
        }

        /** Hands the launch to the thread; returns the thread, to be joined. */
        Thread run(Runnable launch) {
            job.complete(launch);
            return thread;
        }

        /** Starts a spare for the next launch unless one is waiting. */
        static void replenish() {
            if (SPARE.get() != null) return;
            SpareThread s;
            try {
                s = new SpareThread();
            } catch (RuntimeException | OutOfMemoryError e) {
                return; // no thread to spare now: the next launch starts its own (and reports a failure to)
            }
            if (!SPARE.compareAndSet(null, s)) s.run(() -> {}); // another caller was first: this one just ends
        }
    }

    /** The short-lived thread that restricts itself and spawns. Never a virtual thread: restrictions are per OS thread. */
    private static final class LaunchThread implements Runnable {
        private final Policy policy;
        private final int namespaces;
        private final MountView view;
        private final LandlockRuleset ruleset;
        private final byte[] filter;
        private final Spawn.Prepared spawn;
        private final String cwd;
        /**
         * The listener's number in the launch thread's private descriptor table, handed to the caller's thread,
         * which copies it into the JVM's table and registers it: the launch thread must not run our code.
         */
        private final CompletableFuture<Integer> listener = new CompletableFuture<>();
        /** Completed by the caller once it holds its copy of the listener: null, or why it could not take one. */
        private final CompletableFuture<SyscallException> handedOver = new CompletableFuture<>();
        /** A pidfd of the launch thread itself (PIDFD_THREAD), in the JVM's table: the caller copies the listener through it. */
        private volatile int threadPidfd = -1;
        volatile int pid = -1;
        volatile String stage = "starting";
        volatile SyscallException failure;
        volatile LaunchProfile prof;

        LaunchThread(Policy policy, int namespaces, LandlockRuleset ruleset, byte[] filter, Spawn.Prepared spawn,
                     MountView view, String cwd) {
            this.policy = policy;
            this.cwd = cwd;
            this.namespaces = namespaces;
            this.view = view;
            this.ruleset = ruleset;
            this.filter = filter;
            this.spawn = spawn;
        }

        /**
         * Runs the launch thread and serves its listener. The child's exec waits in the listener until the
         * supervisor picks it up, so registering after the spawn has begun is not a race.
         */
        void runAndWait(SandboxRun run) {
            prof = run.profile;
            LaunchProfile.mark(prof, "lt: creating");
            Thread t = SpareThread.take().run(this);
            LaunchProfile.mark(prof, "lt: started");
            boolean interrupted = false;
            int fd = -1;
            while (true) {
                try {
                    fd = listener.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the launch must complete either way: the thread holds the child
                } catch (java.util.concurrent.ExecutionException e) {
                    break;
                }
            }
            LaunchProfile.mark(run.profile, "listener received");
            if (fd >= 0) {
                // The supervisor watches the JVM's copy before the launch thread goes on: its close of its own copy
                // runs under the filter, and may be notified (a user policy refusing close).
                // Completed whatever happens: the launch thread waits for it, and spawns only on null.
                SyscallException failed = new SyscallException("registering the listener", Errno.EPERM);
                int copy = -1;
                try {
                    // Without a thread pidfd (Linux < 6.9) the listener is in the JVM's table already (see run).
                    if (threadPidfd >= 0) {
                        long c = FileMeta.pidfdGetfd(threadPidfd, fd);
                        if (c < 0) throw new SyscallException("pidfd_getfd", (int) -c);
                        copy = (int) c;
                    } else {
                        copy = fd;
                    }
                    Supervisor.get().watchListener(copy, run);
                    failed = null;
                } catch (SyscallException e) {
                    failed = e;
                } finally {
                    if (failed != null) Sys.closeQuietly(copy);
                    handedOver.complete(failed);
                }
            }
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            Sys.closeQuietly(threadPidfd);
            if (interrupted) Thread.currentThread().interrupt();
        }

        @Override
        public void run() {
            LaunchProfile.mark(prof, "lt: running");
            try {
                stage = "opening a pidfd of the launch thread";
                threadPidfd = Sys.pidfdOpenSelfThread(); // -1 before Linux 6.9 (no PIDFD_THREAD): see below
                // The working directory is per fs_struct, shared by the JVM's threads: this thread takes a copy of
                // its own (a mount namespace's unshare below implies it) and the child inherits it.
                if (namespaces == 0) {
                    stage = "unsharing the working directory";
                    Sys.unshare(Sys.CLONE_FS);
                } else {
                    stage = "creating namespaces";
                    Sys.unshare(namespaces);
                    if ((namespaces & Sys.CLONE_NEWUTS) != 0) Sys.sethostname(HOSTNAME);
                    if (view != null) {
                        stage = "building the mount namespace";
                        view.apply(ruleset::allowReadBeneath, ruleset::allowWriteBeneath);
                    }
                }
                if (Natives.ROOT) {
                    stage = "dropping privileges";
                    Credentials.dropToUser(policy.uid(), policy.gid(), Natives.LAST_CAP);
                } else {
                    stage = "dropping capabilities";
                    Credentials.dropCapabilities();
                }
                // As the sandbox's user (a directory it may not search is refused as before), and before the
                // filter: the chdir the child made in posix_spawn was a supervised call. Landlock has no say on chdir.
                stage = "changing to the working directory " + cwd;
                Sys.chdir(cwd);
                LaunchProfile.mark(prof, "lt: credentials");
                stage = "setting no_new_privs";
                Sys.prctl(Sys.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                stage = "applying the Landlock ruleset";
                ruleset.restrictSelf();
                LaunchProfile.mark(prof, "lt: landlock");
                // The spawned child copies this thread's descriptor table and waits, before its exec, for the
                // supervisor's answer to its setsid (a notified call). Had it a copy of the listener, a JVM killed
                // in that window (before the ptrace guard holds the child) would leave the listener open, held by
                // the child itself, and the child waiting forever. So the listener is made in a table private to
                // this thread (thrown away with it), the caller's thread copies it into the JVM's table, and this
                // thread closes its own before it spawns. Late here: an fd the JVM opens on this thread after the
                // unshare (lazily, for its own use) would be private too; nothing of it runs past Landlock.
                // Concurrent launches: a child may hold an earlier launch's listener (copied from the JVM's table),
                // never its own nor a later one's, so with the JVM gone each child is released in turn.
                // Before Linux 6.9 there is no way to reach a private table from the JVM: the listener stays in the
                // JVM's, and the window above remains (README, "Known limits").
                if (threadPidfd >= 0) {
                    stage = "unsharing the descriptor table";
                    Sys.unshare(Sys.CLONE_FILES);
                }
                stage = "installing the seccomp filter";
                int own = SeccompNative.installFilter(filter, Natives.FILTER_FLAGS);
                listener.complete(own);
                stage = "handing the listener to the supervisor";
                SyscallException handOver = handedOver.join();
                if (threadPidfd >= 0) Sys.close(own);
                if (handOver != null) throw handOver;
                stage = "spawning the program";
                LaunchProfile.mark(prof, "lt: seccomp");
                pid = spawn.spawn();
                LaunchProfile.mark(prof, "lt: spawned");
            } catch (SyscallException e) {
                failure = e;
            } catch (Throwable t) {
                failure = new SyscallException(stage, Errno.EPERM);
                t.printStackTrace();
            } finally {
                listener.complete(-1);
            }
        }
    }
}
