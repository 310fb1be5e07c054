package dev.cordon.bench;

import dev.cordon.Limits;
import dev.cordon.Policy;
import dev.cordon.Redirect;
import dev.cordon.RunResult;
import dev.cordon.SandboxBuilder;
import dev.cordon.SandboxProcess;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Launch cost of the Cordon library in a warm JVM (not part of the product; compiled by bench/run).
 *
 * <pre>
 * LaunchBench sequential N WRITABLE_DIR    warms up, then launches N sandboxed /bin/true one after another;
 *                                          prints "elapsed_s=... per_launch_ms=..."
 * LaunchBench threads T SECONDS WRITABLE_DIR  warms up, then T threads launch sandboxed /bin/true for SECONDS;
 *                                          prints "runs=... elapsed_s=... runs_per_s=..."
 * LaunchBench run ROOT EXEC_DIR WRITABLE_DIR -- PROGRAM ARG...
 *                                          warms up with 20 launches of /bin/true, then runs PROGRAM once in a
 *                                          sandbox (read /usr and ROOT, execute /usr, /lib64 and EXEC_DIR, write
 *                                          WRITABLE_DIR, which is also the working directory); prints "elapsed_s=..."
 *                                          from the start to the end of the run (the workload's cost in the
 *                                          sandbox without the JVM's start-up) and "cpu_s=...", the program's user
 *                                          and system time with its waited-for children
 * </pre>
 * The policy is a full one: read /usr, execute /usr and /lib64, write a directory, an environment variable,
 * and every limit set.
 */
public final class LaunchBench {
    private LaunchBench() {}

    private static final boolean KERNEL_ONLY = Boolean.getBoolean("bench.kernelOnly");
    /** -Dbench.auditAll=true: audit level all, every file, process and network call supervised and logged. */
    private static final boolean AUDIT_ALL = Boolean.getBoolean("bench.auditAll");

    public static Policy fullPolicy(String writable) {
        return Policy.builder()
                .read("/usr").execute("/usr", "/lib64").write(writable)
                .env("PATH", "/usr/bin:/bin")
                .limits(Limits.NONE.withCpuTime(java.time.Duration.ofSeconds(60)).withFileSize(1L << 30)
                        .withOpenFiles(1024).withStack(8L << 20))
                .build();
    }

    /**
     * CPU time of the JIT compiler threads (long-lived with -XX:-UseDynamicNumberOfCompilerThreads): the JVM's
     * CPU time minus this is what the launches cost without the compilations still going on after warm-up.
     */
    private static long jitNanos() {
        long ticks = 0;
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path t : tasks.toList()) {
                try {
                    if (!java.nio.file.Files.readString(t.resolve("comm")).startsWith("C")) continue;
                    String stat = java.nio.file.Files.readString(t.resolve("stat"));
                    if (!stat.contains("(C1 Compiler") && !stat.contains("(C2 Compiler")) continue;
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
                } catch (java.io.IOException ignored) {
                    // A thread that ended meanwhile.
                }
            }
        } catch (java.io.IOException e) {
            return 0;
        }
        return ticks * 10_000_000L; // USER_HZ 100
    }

    /** The JVM's CPU time, all threads (the sandboxed programs are not in it). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    public static void launchOnce(Policy policy) throws InterruptedException {
        try (SandboxProcess p = new SandboxBuilder(policy, "/bin/true")
                .stdin(Redirect.DISCARD).stdout(Redirect.DISCARD).stderr(Redirect.DISCARD).start()) {
            RunResult r = p.waitFor();
            if (r.exitStatus() != 0) throw new IllegalStateException("/bin/true exited with " + r.exitStatus());
        }
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        if (mode.equals("sequential")) {
            int n = Integer.parseInt(args[1]);
            Policy policy = fullPolicy(args[2]);
            for (int i = 0; i < Math.max(50, n / 2); i++) launchOnce(policy); // warm-up: JIT, class loading
            long c0 = cpuNanos(), j0 = jitNanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) launchOnce(policy);
            double s = (System.nanoTime() - t0) / 1e9;
            long cpu = cpuNanos() - c0, jit = jitNanos() - j0;
            System.out.printf("elapsed_s=%.6f per_launch_ms=%.4f jvm_cpu_per_launch_ms=%.4f without_jit_ms=%.4f%n", s,
                    s * 1000 / n, cpu / 1e6 / n, (cpu - jit) / 1e6 / n);
        } else if (mode.equals("threads")) {
            int threads = Integer.parseInt(args[1]);
            double seconds = Double.parseDouble(args[2]);
            Policy policy = fullPolicy(args[3]);
            for (int i = 0; i < 100; i++) launchOnce(policy);
            AtomicLong runs = new AtomicLong();
            long c0 = cpuNanos(), j0 = jitNanos();
            long t0 = System.nanoTime();
            long deadline = t0 + (long) (seconds * 1e9);
            List<Thread> list = new ArrayList<>();
            List<Throwable> errors = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                list.add(Thread.ofPlatform().start(() -> {
                    try {
                        while (System.nanoTime() < deadline) {
                            launchOnce(policy);
                            runs.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        synchronized (errors) { errors.add(t); }
                    }
                }));
            }
            for (Thread t : list) t.join();
            if (!errors.isEmpty()) throw new IllegalStateException(errors.getFirst());
            double s = (System.nanoTime() - t0) / 1e9;
            long cpu = cpuNanos() - c0, jit = jitNanos() - j0;
            System.out.printf("runs=%d elapsed_s=%.6f runs_per_s=%.1f jvm_cpu_per_run_ms=%.4f without_jit_ms=%.4f%n",
                    runs.get(), s, runs.get() / s, cpu / 1e6 / runs.get(), (cpu - jit) / 1e6 / runs.get());
        } else if (mode.equals("run")) {
            String root = args[1], execDir = args[2], writable = args[3];
            if (!args[4].equals("--")) throw new IllegalArgumentException("run ROOT EXEC_DIR WRITABLE_DIR -- PROGRAM...");
            List<String> command = List.of(args).subList(5, args.length);
            Policy warm = fullPolicy(writable);
            for (int i = 0; i < 20; i++) launchOnce(warm);
            Policy policy = Policy.builder()
                    .read("/usr", root).execute("/usr", "/lib64", execDir).write(writable)
                    .env("PATH", "/usr/bin:/bin").env("TMPDIR", writable).env("LC_ALL", "C")
                    .workingDirectory(java.nio.file.Path.of(writable))
                    // -Dbench.kernelOnly=true: the kernel alone (Landlock and the filter): audit level none and the
                    // metadata of other files not hidden (as in a mount namespace), so no call is supervised.
                    .audit(KERNEL_ONLY ? dev.cordon.AuditLevel.NONE
                            : AUDIT_ALL ? dev.cordon.AuditLevel.ALL : dev.cordon.AuditLevel.DENIED)
                    .exposeMetadata(KERNEL_ONLY)
                    .build();
            long t0 = System.nanoTime();
            RunResult r;
            SandboxBuilder builder = new SandboxBuilder(policy, command)
                    .stdin(Redirect.DISCARD).stdout(Redirect.DISCARD).stderr(Redirect.INHERIT);
            // As the CLI's --audit all does: every call decoded and logged (here to /dev/null, buffered).
            java.io.PrintStream log = new java.io.PrintStream(new java.io.BufferedOutputStream(
                    new java.io.FileOutputStream("/dev/null"), 1 << 16), false);
            if (AUDIT_ALL) builder.onCall(c -> log.println(c.pid() + " " + c.process() + " " + c.call()));
            try (SandboxProcess p = builder.start()) {
                r = p.waitFor();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            if (r.exitStatus() != 0) {
                System.err.println("LaunchBench: " + command + " exited with " + r.exitStatus());
                System.exit(1);
            }
            double cpu = (r.userTime().toNanos() + r.systemTime().toNanos()) / 1e9;
            System.out.printf("elapsed_s=%.6f cpu_s=%.6f%n", s, cpu);
        } else {
            throw new IllegalArgumentException("mode: sequential, threads or run");
        }
    }
}
