package dev.cordon.internal.ptrace;

import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.FdStreams;
import dev.cordon.internal.sys.Spawn;
import dev.cordon.internal.sys.Sys;
import dev.cordon.testkit.TestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The tracer against real processes and the real kernel; runs as root and as an ordinary user alike. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TracerTest {
    private static final Map<String, Path> BINARIES = new ConcurrentHashMap<>();

    private static Path binary(String name) {
        return BINARIES.computeIfAbsent(name, n -> TestKit.compile(n,
                TestKit.resource("c/ptrace/common.h") + TestKit.resource("c/ptrace/" + n + ".c")));
    }

    /**
     * A program started through ProcessBuilder, seized while it waits in its handshake, then released. It runs
     * as a child of a shell, not of this JVM: when the tracer's process is also the real parent, the kernel
     * lets the JDK's own waitpid on that pid consume the tracee's ptrace stops (see Tracer's class comment).
     * {@code process} is the shell; its exit value is the program's (128 + signal if killed).
     */
    static final class Traced implements AutoCloseable {
        final Process process;
        final int pid;
        final BufferedReader out;
        final OutputStream in;
        final Tracer tracer;

        Traced(String program, TraceMode mode, TraceHandler handler, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", "\"$0\" \"$@\"; exit $?", binary(program).toString()));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            in = process.getOutputStream();
            String ready = out.readLine();
            assertThat(ready).startsWith("ready ");
            pid = Integer.parseInt(ready.substring(6));
            tracer = Tracer.start(pid, mode, handler);
            in.write('g');
            in.flush();
        }

        List<String> lines() throws IOException {
            List<String> lines = new ArrayList<>();
            for (String l; (l = out.readLine()) != null; ) lines.add(l);
            return lines;
        }

        void finish() throws Exception {
            assertThat(tracer.await(60, TimeUnit.SECONDS)).as("tracer completion").isTrue();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(tracer.tracees()).isEmpty();
        }

        @Override
        public void close() {
            if (!tracer.completion().isDone()) tracer.killAll();
            process.destroyForcibly();
        }
    }

    /** Records every event, as "fork parent child" etc. */
    static class Recorder implements TraceHandler {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger forks = new AtomicInteger(), threads = new AtomicInteger(), execs = new AtomicInteger(),
                exits = new AtomicInteger(), threadExits = new AtomicInteger();
        final Map<Integer, ExitStatus> exitStatus = new ConcurrentHashMap<>();
        volatile Thread callbackThread;

        private void on() {
            callbackThread = Thread.currentThread();
        }

        @Override
        public void onFork(int parentPid, int childPid) {
            on();
            forks.incrementAndGet();
            events.add("fork " + parentPid + " " + childPid);
        }

        @Override
        public void onThread(int pid, int tid) {
            on();
            threads.incrementAndGet();
        }

        @Override
        public void onExec(int pid, int formerTid) {
            on();
            execs.incrementAndGet();
            events.add("exec " + pid + " " + formerTid);
        }

        @Override
        public void onExit(int pid, ExitStatus status) {
            on();
            exits.incrementAndGet();
            exitStatus.put(pid, status);
            events.add("exit " + pid + " " + status);
        }

        @Override
        public void onThreadExit(int pid, int tid) {
            threadExits.incrementAndGet();
        }
    }

    @Test
    void tracksATreeOfForksAndAnExec() throws Exception {
        Recorder rec = new Recorder();
        try (Traced t = new Traced("tree", TraceMode.GUARD, rec)) {
            List<String> lines = t.lines();
            t.finish();
            assertThat(t.process.exitValue()).isZero();
            assertThat(lines).last().isEqualTo("done 0");
            int root = t.pid;
            List<Integer> children = lines.stream().filter(l -> l.startsWith("child "))
                    .map(l -> Integer.parseInt(l.substring(6))).toList();
            assertThat(children).hasSize(3);

            List<ProcessInfo> procs = t.tracer.processes();
            assertThat(procs).hasSize(5);
            assertThat(procs).allSatisfy(p -> assertThat(p.alive()).isFalse());
            Map<Integer, ProcessInfo> byPid = new java.util.HashMap<>();
            procs.forEach(p -> byPid.put(p.pid(), p));
            assertThat(byPid.get(root).exit()).isEqualTo(new ExitStatus(0, 0, false));
            assertThat(byPid.get(root).executable()).isEqualTo(binary("tree").toString());
            for (int i = 0; i < 3; i++) {
                ProcessInfo c = byPid.get(children.get(i));
                assertThat(c.parent()).isEqualTo(root);
                assertThat(c.exit()).isEqualTo(new ExitStatus(10 + i, 0, false));
                assertThat(c.executable()).isEqualTo(binary("tree").toString());
            }
            ProcessInfo grand = procs.stream().filter(p -> p.parent() == children.get(0)).findFirst().orElseThrow();
            assertThat(grand.executable()).isEqualTo(Path.of("/bin/true").toRealPath().toString());
            assertThat(grand.commandLine()).containsExactly("true", "grand");
            assertThat(grand.exit()).isEqualTo(new ExitStatus(0, 0, false));
            assertThat(grand.endNanos()).isGreaterThanOrEqualTo(grand.startNanos());

            assertThat(rec.forks).hasValue(4);
            assertThat(rec.execs).hasValue(1);
            assertThat(rec.exits).hasValue(5);
            assertThat(rec.events).contains("fork " + root + " " + children.get(0), "fork " + root + " " + children.get(1),
                    "fork " + root + " " + children.get(2), "fork " + children.get(0) + " " + grand.pid(),
                    "exec " + grand.pid() + " " + grand.pid());
            // Each process's fork is reported before its exec and its exit.
            assertThat(rec.events.indexOf("fork " + children.get(0) + " " + grand.pid()))
                    .isLessThan(rec.events.indexOf("exec " + grand.pid() + " " + grand.pid()));
            assertThat(rec.callbackThread.getName()).isEqualTo("cordon-tracer-" + root);
            assertThat(t.tracer.alerts()).isEmpty();
            assertThat(t.tracer.killReason()).isNull();
        }
    }

    private static final int LOOP = 500;

    @Test
    void aTightForkExecLoopLosesNothing() throws Exception {
        long plain = untracedForkLoop();
        Recorder rec = new Recorder();
        try (Traced t = new Traced("forkloop", TraceMode.GUARD, rec, Integer.toString(LOOP))) {
            long t0 = System.nanoTime(); // the handshake byte was just written
            t.in.close();
            assertThat(t.lines()).containsExactly("ok " + LOOP);
            t.finish();
            long traced = System.nanoTime() - t0;
            assertThat(t.process.exitValue()).isZero();
            assertThat(rec.forks).hasValue(LOOP);
            assertThat(rec.execs).hasValue(LOOP);
            assertThat(rec.exits).hasValue(LOOP + 1);
            assertThat(t.tracer.processes()).hasSize(LOOP + 1).allSatisfy(p -> assertThat(p.exit()).isNotNull());
            long plainAgain = untracedForkLoop();
            System.out.printf("ptrace cost: %d fork+exec of /bin/true: untraced %d ms and %d ms, traced (guard mode) %d ms%n",
                    LOOP, plain / 1_000_000, plainAgain / 1_000_000, traced / 1_000_000);
        }
    }

    /** Baseline without tracing: same program, same handshake; nanoseconds from handshake to exit. */
    private static long untracedForkLoop() throws Exception {
        Process p = new ProcessBuilder(binary("forkloop").toString(), Integer.toString(LOOP)).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        assertThat(out.readLine()).startsWith("ready ");
        long t0 = System.nanoTime();
        p.getOutputStream().write('g');
        p.getOutputStream().close();
        assertThat(out.readLine()).isEqualTo("ok " + LOOP);
        assertThat(p.waitFor()).isZero();
        return System.nanoTime() - t0;
    }

    @Test
    void concurrentForkExecFromThreadsOfSeveralProcesses() throws Exception {
        Recorder rec = new Recorder();
        try (Traced t = new Traced("parallel", TraceMode.GUARD, rec)) {
            t.in.close();
            assertThat(t.lines()).containsExactly("workers ok 4");
            t.finish();
            assertThat(t.process.exitValue()).isZero();
            assertThat(rec.forks).hasValue(4 + 400);
            assertThat(rec.threads).hasValue(8);
            assertThat(rec.threadExits).hasValue(8);
            assertThat(rec.execs).hasValue(400);
            assertThat(rec.exits).hasValue(1 + 4 + 400);
            Map<Integer, ProcessInfo> byPid = new java.util.HashMap<>();
            t.tracer.processes().forEach(p -> byPid.put(p.pid(), p));
            // Each /bin/true's parent is a worker, each worker's parent the root.
            assertThat(t.tracer.processes()).filteredOn(p -> "true".equals(p.commandLine().isEmpty() ? null : p.commandLine().get(0)))
                    .hasSize(400).allSatisfy(p -> assertThat(byPid.get(p.parent()).parent()).isEqualTo(t.pid));
        }
    }

    @Test
    void posixSpawnLoopIsFollowedThroughVforkEvents() throws Exception {
        Recorder rec = new Recorder();
        try (Traced t = new Traced("spawnloop", TraceMode.GUARD, rec, "100")) {
            t.in.close();
            assertThat(t.lines()).containsExactly("ok 100");
            t.finish();
            assertThat(t.process.exitValue()).isZero();
            assertThat(rec.forks).hasValue(100);
            assertThat(rec.execs).hasValue(100);
            assertThat(rec.exits).hasValue(101);
            assertThat(t.tracer.processes()).filteredOn(p -> p.pid() != t.pid)
                    .allSatisfy(p -> assertThat(p.parent()).isEqualTo(t.pid));
        }
    }

    @Test
    void aNonLeaderThreadExecTakesOverThePid() throws Exception {
        Recorder rec = new Recorder();
        try (Traced t = new Traced("threadexec", TraceMode.GUARD, rec)) {
            t.in.close();
            t.lines();
            t.finish();
            assertThat(t.process.exitValue()).isZero(); // /bin/true's
            assertThat(rec.threads).hasValue(1);
            assertThat(rec.execs).hasValue(1);
            String exec = rec.events.stream().filter(e -> e.startsWith("exec ")).findFirst().orElseThrow();
            String[] f = exec.split(" ");
            assertThat(Integer.parseInt(f[1])).isEqualTo(t.pid);
            assertThat(Integer.parseInt(f[2])).as("former tid").isNotEqualTo(t.pid);
            assertThat(rec.exits).hasValue(1);
            ProcessInfo p = t.tracer.processes().get(0);
            assertThat(p.commandLine()).containsExactly("true", "from-thread");
            assertThat(p.exit()).isEqualTo(new ExitStatus(0, 0, false));
        }
    }

    @Test
    void killAllDuringAForkStormLeavesNothing() throws Exception {
        Recorder rec = new Recorder();
        try (Traced t = new Traced("forkstorm", TraceMode.GUARD, rec)) {
            t.in.close();
            for (int i = 0; i < 1000 && t.tracer.processes().size() < 60; i++) Thread.sleep(5);
            assertThat(t.tracer.processes().size()).isGreaterThanOrEqualTo(60);
            t.tracer.killAll();
            t.finish();
            List<ProcessInfo> all = t.tracer.processes();
            assertThat(all).allSatisfy(p -> {
                assertThat(p.exit()).isNotNull();
                assertThat(alive(p.pid())).as("pid %d", p.pid()).isFalse();
            });
            assertThat(t.tracer.killReason()).isEqualTo("killed on request");
            assertThat(t.process.exitValue()).isEqualTo(128 + Sys.SIGKILL);
        }
    }

    @Test
    void multiThreadedTraceeFinishesCleanly() throws Exception {
        Recorder rec = new Recorder();
        try (Traced t = new Traced("threads", TraceMode.GUARD, rec)) {
            t.in.close();
            assertThat(t.lines()).containsExactly("threads 28"); // 0+1+...+7
            t.finish();
            assertThat(t.process.exitValue()).isZero();
            assertThat(rec.threads).hasValue(8);
            assertThat(rec.threadExits).hasValue(8);
            assertThat(rec.exits).hasValue(1);
            assertThat(rec.forks).hasValue(0);
        }
    }

    @Test
    void signalsAreDeliveredAndGroupStopsDoNotWedge() throws Exception {
        Recorder rec = new Recorder();
        try (Traced t = new Traced("signals", TraceMode.GUARD, rec)) {
            int pid = t.pid;
            Thread.sleep(50);
            Sys.kill(pid, 10); // SIGUSR1, handled by the program
            assertThat(t.out.readLine()).isEqualTo("usr1");
            Sys.kill(pid, Tracer.SIGSTOP);
            waitForState(pid, "tT");
            Thread.sleep(200);
            assertThat(state(pid)).isIn("t", "T");
            Sys.kill(pid, 18); // SIGCONT
            t.in.write("hello".getBytes());
            t.in.close();
            assertThat(t.out.readLine()).isEqualTo("read 5");
            t.finish();
            assertThat(t.process.exitValue()).isZero();
            assertThat(rec.exits).hasValue(1);
        }
    }

    @Test
    void tracerThreadDeathKillsTheWholeTree() throws Exception {
        Recorder rec = new Recorder();
        try (Traced t = new Traced("exitkill", TraceMode.GUARD, rec)) {
            int grand = -1, child = -1;
            while (grand < 0 || child < 0) {
                String l = t.out.readLine();
                assertThat(l).isNotNull();
                if (l.startsWith("grandchild ")) grand = Integer.parseInt(l.substring(11));
                if (l.startsWith("child ")) child = Integer.parseInt(l.substring(6));
            }
            int root = t.pid;
            assertThat(alive(root)).isTrue();
            assertThat(alive(grand)).isTrue();
            List<Integer> all = t.tracer.processes().stream().map(ProcessInfo::pid).toList();
            assertThat(all).contains(root, child, grand);
            t.tracer.abandonForTest();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            long t0 = System.nanoTime();
            while (System.nanoTime() < deadline && all.stream().anyMatch(TracerTest::alive)) Thread.sleep(5);
            System.out.printf("EXITKILL: %d processes dead %d ms after the tracer thread ended%n", all.size(),
                    (System.nanoTime() - t0) / 1_000_000);
            assertThat(all).as("processes alive 1 s after the tracer thread ended").noneMatch(TracerTest::alive);
            assertThat(t.process.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(t.process.exitValue()).isEqualTo(128 + Sys.SIGKILL);
        }
    }

    @Test
    void aJvmKilledWithSigkillTakesTheTreeWithIt() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        // The probe needs only the main and test classes (the console launcher loads them in its own loader).
        String cp = Path.of(Tracer.class.getProtectionDomain().getCodeSource().getLocation().toURI()) + ":"
                + Path.of(TracerKillProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Process jvm = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", cp,
                TracerKillProbe.class.getName(), binary("exitkill").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))) {
            Map<String, Integer> byRole = new java.util.HashMap<>();
            while (byRole.size() < 3) {
                String l = out.readLine();
                assertThat(l).as("the probe JVM's output").isNotNull();
                String[] f = l.split(" ");
                if (f.length == 2 && List.of("root", "child", "grandchild").contains(f[0])) byRole.put(f[0], Integer.parseInt(f[1]));
            }
            List<Integer> pids = List.copyOf(byRole.values());
            assertThat(alive(byRole.get("root"))).isTrue();
            assertThat(alive(byRole.get("grandchild"))).isTrue();
            jvm.destroyForcibly(); // SIGKILL
            assertThat(jvm.waitFor(10, TimeUnit.SECONDS)).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (System.nanoTime() < deadline && pids.stream().anyMatch(TracerTest::alive)) Thread.sleep(5);
            assertThat(pids).as("traced processes alive 1 s after their tracer's JVM was killed")
                    .noneMatch(TracerTest::alive);
        } finally {
            jvm.destroyForcibly();
        }
    }

    /** Engine mode: a handler that decides openat (deny, kill or, through {@code onOpen}, anything). */
    static class Engine extends Recorder {
        final List<SyscallStop> stops = Collections.synchronizedList(new ArrayList<>());
        final List<String> paths = Collections.synchronizedList(new ArrayList<>());
        final Function<Integer, TraceDecision> onOpen;

        Engine(Function<Integer, TraceDecision> onOpen) {
            this.onOpen = onOpen;
        }

        @Override
        public TraceDecision onSyscall(int tid, SyscallStop stop) {
            stops.add(stop);
            String name = dev.cordon.internal.syscalls.Arch.current().name(stop.nr());
            if ("openat".equals(name)) {
                paths.add(Tracer.readString(tid, stop.arg(1), 4096));
                return onOpen.apply(tid);
            }
            return TraceDecision.ALLOW;
        }
    }

    @Test
    void engineModeAllowsAndDeniesAtSeccompStops() throws Exception {
        Engine h = new Engine(tid -> TraceDecision.deny(Errno.EACCES));
        try (Traced t = new Traced("engine", TraceMode.ENGINE, h)) {
            t.in.close();
            assertThat(t.lines()).containsExactly("getppid same", "openat -1 errno 13");
            t.finish();
            assertThat(t.process.exitValue()).isZero();
            var arch = dev.cordon.internal.syscalls.Arch.current();
            assertThat(h.stops).extracting(s -> arch.name(s.nr())).containsExactly("getppid", "openat");
            assertThat(h.stops).allSatisfy(s -> assertThat(s.arch()).isEqualTo(arch.auditArch));
            assertThat((int) h.stops.get(1).arg(0)).isEqualTo(Sys.AT_FDCWD); // an int: the upper half is not defined
            assertThat(h.paths).containsExactly("/etc/hostname");
            assertThat(t.tracer.alerts()).isEmpty();
        }
    }

    @Test
    void engineModeCostPerSeccompStop() throws Exception {
        Engine h = new Engine(tid -> TraceDecision.ALLOW);
        try (Traced t = new Traced("engine", TraceMode.ENGINE, h, "bench")) {
            t.in.close();
            List<String> lines = t.lines();
            t.finish();
            assertThat(t.process.exitValue()).isZero();
            String bench = lines.stream().filter(l -> l.startsWith("bench ")).findFirst().orElseThrow();
            assertThat(h.stops).hasSizeGreaterThanOrEqualTo(20_000);
            System.out.println("ptrace engine cost: 20000 getppid at seccomp stops (allowed): " + bench.substring(6)
                    + " ns per call");
        }
    }

    @Test
    void engineKillDecisionKillsTheWholeTree() throws Exception {
        Engine h = new Engine(tid -> TraceDecision.kill("openat is forbidden"));
        try (Traced t = new Traced("engine", TraceMode.ENGINE, h, "fork")) {
            t.in.close();
            List<String> lines = t.lines();
            t.finish();
            assertThat(lines).hasSize(2);
            assertThat(lines.get(1)).isEqualTo("getppid same");
            int child = Integer.parseInt(lines.get(0).substring(6));
            assertThat(t.process.exitValue()).isEqualTo(128 + Sys.SIGKILL);
            assertThat(t.tracer.killReason()).isEqualTo("openat is forbidden");
            assertThat(h.exitStatus.get(child)).isEqualTo(new ExitStatus(-1, Sys.SIGKILL, false));
            assertThat(h.exitStatus.get(t.pid)).isEqualTo(new ExitStatus(-1, Sys.SIGKILL, false));
            assertThat(alive(child)).isFalse();
        }
    }

    @Test
    void aTraceeKilledWhileItsCallIsDecidedRaisesAnAlert() throws Exception {
        // Seed 004: the tracee leaves its stop (here: SIGKILL) while the tracer holds a decision for it.
        Engine h = new Engine(tid -> {
            Sys.kill(tid, Sys.SIGKILL);
            return TraceDecision.ALLOW;
        });
        try (Traced t = new Traced("engine", TraceMode.ENGINE, h, "fork")) {
            t.in.close();
            t.lines();
            t.finish();
            assertThat(t.tracer.alerts()).hasSize(1);
            assertThat(t.tracer.alerts().get(0).pid()).isEqualTo(t.pid);
            assertThat(t.tracer.alerts().get(0).what()).contains("running or gone");
            assertThat(t.tracer.killReason()).startsWith("alert:");
            assertThat(h.exits).hasValue(2); // the forked child was killed too
        }
    }

    @Test
    void processBuilderKeepsWorkingBesideATracedTree() throws Exception {
        Recorder rec = new Recorder();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Traced t = new Traced("forkloop", TraceMode.GUARD, rec, "300")) {
            t.in.close();
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int code = i + 1;
                results.add(pool.submit(() -> new ProcessBuilder("sh", "-c", "exit " + code).start().waitFor()));
            }
            for (int i = 0; i < 40; i++) assertThat(results.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(i + 1);
            assertThat(t.lines()).containsExactly("ok 300");
            t.finish();
            assertThat(t.process.exitValue()).isZero();
            assertThat(rec.exits).hasValue(301);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRootThatIsThisJvmsOwnChildIsReapedByTheTracer() throws Exception {
        // The launcher's case: the first tracee is a child of this JVM (posix_spawn), and nothing else waits for it.
        int[] in = Sys.pipe2(Sys.O_CLOEXEC), out = Sys.pipe2(Sys.O_CLOEXEC);
        int pid;
        try (Spawn.Prepared sp = Spawn.prepare(binary("tree").toString(), List.of("tree"), List.of(),
                new int[] {in[0], out[1], 2}, "/")) {
            pid = sp.spawn();
        }
        Sys.close(in[0]);
        Sys.close(out[1]);
        Recorder rec = new Recorder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(FdStreams.input(out[0]), StandardCharsets.UTF_8));
                OutputStream w = FdStreams.output(in[1])) {
            assertThat(r.readLine()).isEqualTo("ready " + pid);
            Tracer tracer = Tracer.start(pid, TraceMode.GUARD, rec);
            w.write('g');
            w.close();
            List<String> lines = new ArrayList<>();
            for (String l; (l = r.readLine()) != null; ) lines.add(l);
            assertThat(lines).last().isEqualTo("done 0");
            assertThat(tracer.await(60, TimeUnit.SECONDS)).isTrue();
            Sys.ChildExit exit = tracer.rootExit().get(5, TimeUnit.SECONDS);
            assertThat(exit.exitCode()).isZero();
            assertThat(rec.forks).hasValue(4);
            assertThat(rec.execs).hasValue(1);
            assertThat(rec.exits).hasValue(5);
            // The tracer's wait was final: nothing is left for the parent to reap.
            assertThatThrownBy(() -> Sys.waitExit(Sys.P_PID, pid, Sys.WEXITED | Sys.WNOHANG)).hasMessageContaining("ECHILD");
        }
    }

    @Test
    void aFailingHandlerKillsTheSandbox() throws Exception {
        Recorder rec = new Recorder() {
            @Override
            public void onFork(int parentPid, int childPid) {
                super.onFork(parentPid, childPid);
                throw new IllegalStateException("no forks today");
            }
        };
        try (Traced t = new Traced("tree", TraceMode.GUARD, rec)) {
            t.in.close();
            t.lines();
            t.finish();
            assertThat(t.process.exitValue()).isEqualTo(128 + Sys.SIGKILL);
            assertThat(t.tracer.alerts()).isNotEmpty();
            assertThat(t.tracer.alerts().get(0).what()).contains("no forks today");
            assertThat(t.tracer.killReason()).contains("no forks today");
            assertThat(t.tracer.processes()).allSatisfy(p -> assertThat(alive(p.pid())).isFalse());
        }
    }

    @Test
    void seizeFailureNamesTheErrno() {
        assertThatThrownBy(() -> Tracer.start(Integer.MAX_VALUE - 1, TraceMode.GUARD, null))
                .hasMessageContaining("PTRACE_SEIZE").hasMessageContaining("ESRCH");
        // Another user's process (pid 1, root's): EPERM.
        if (!TestKit.ROOT) {
            assertThatThrownBy(() -> Tracer.start(1, TraceMode.GUARD, null)).hasMessageContaining("EPERM");
        }
    }

    // --- /proc helpers --------------------------------------------------------------------------

    static String state(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        } catch (IOException e) {
            return "gone";
        }
    }

    /** Neither gone nor a zombie. */
    static boolean alive(int pid) {
        String s = state(pid);
        return !s.equals("gone") && !s.equals("Z") && !s.equals("X");
    }

    static void waitForState(int pid, String states) throws InterruptedException {
        for (int i = 0; i < 500 && !states.contains(state(pid)); i++) Thread.sleep(10);
    }
}
