package dev.cordon.bench.jmh;

import dev.cordon.Limits;
import dev.cordon.Policy;
import dev.cordon.Redirect;
import dev.cordon.RunResult;
import dev.cordon.SandboxBuilder;
import dev.cordon.SandboxProcess;
import dev.cordon.internal.seccomp.SandboxFilter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * JMH benchmarks of the Cordon library. Run with {@code bench/run --jmh} (short) or e.g.
 * {@code bench/run --jmh -wi 5 -i 10 -f 2} (longer). Runs on the class path so that internal classes are reachable.
 */
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class CordonBenchmarks {

    /** A writable temp dir (the sandbox runs as uid 65534 when started as root), a full policy, the setsid loop. */
    @State(Scope.Benchmark)
    public static class Env {
        Path dir;
        Policy policy;
        Policy setsidPolicy;
        String setsidLoop;

        @Setup(Level.Trial)
        public void setUp() throws IOException, InterruptedException {
            dir = Files.createTempDirectory("cordon-jmh-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            policy = Policy.builder()
                    .read("/usr").execute("/usr", "/lib64").write(dir.toString())
                    .env("PATH", "/usr/bin:/bin")
                    .limits(Limits.NONE.withCpuTime(Duration.ofSeconds(60)).withFileSize(1L << 30)
                            .withOpenFiles(1024).withStack(8L << 20))
                    .build();
            String source = System.getProperty("cordon.bench.home", ".") + "/bench/c/setsid_loop.c";
            setsidLoop = dir.resolve("setsid_loop").toString();
            Process gcc = new ProcessBuilder("gcc", "-O2", "-o", setsidLoop, source).inheritIO().start();
            if (gcc.waitFor() != 0) throw new IllegalStateException("gcc " + source + " failed");
            Files.setPosixFilePermissions(Path.of(setsidLoop), PosixFilePermissions.fromString("rwxr-xr-x"));
            setsidPolicy = Policy.builder()
                    .read("/usr").execute("/usr", "/lib64", dir.toString()).write(dir.toString())
                    .build();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static int run(Policy policy, String... command) throws InterruptedException {
        try (SandboxProcess p = new SandboxBuilder(policy, command)
                .stdin(Redirect.DISCARD).stdout(Redirect.DISCARD).stderr(Redirect.DISCARD).start()) {
            RunResult r = p.waitFor();
            if (r.exitStatus() != 0) throw new IllegalStateException(command[0] + " exited with " + r.exitStatus());
            return r.exitStatus();
        }
    }

    /** (a) Launch latency: a sandboxed /bin/true with a full policy, from start() to the end of the run. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int launchTrue(Env env) throws InterruptedException {
        return run(env.policy, "/bin/true");
    }

    /** (b) Sandboxed runs per second with 4 threads launching concurrently. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(4)
    public int launchTrueThreads4(Env env) throws InterruptedException {
        return run(env.policy, "/bin/true");
    }

    /** (c) Compiling the default seccomp filter (no TCP rules). */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] compileDefaultFilter() {
        // The filter's program is cached per switch combination: compile its rules afresh each time.
        return dev.cordon.internal.seccomp.BpfCompiler.compile(SandboxFilter.build(false, true, false).kernelSpec(),
                dev.cordon.internal.syscalls.Arch.current()).toBytes();
    }

    /** (d) 10k setsid() calls, each a round trip to the supervisor (after the first, EPERM): sandboxed... */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int setsidLoopSandboxed(Env env) throws InterruptedException {
        return run(env.setsidPolicy, env.setsidLoop, "10000");
    }

    /** ... and the same program natively (ProcessBuilder), for the difference: (sandboxed - native) / 10k. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int setsidLoopNative(Env env) throws InterruptedException, IOException {
        Process p = new ProcessBuilder(env.setsidLoop, "10000").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        int status = p.waitFor();
        if (status != 0) throw new IllegalStateException("setsid_loop exited with " + status);
        return status;
    }

    /** The same native baseline for launching: ProcessBuilder running /bin/true. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int launchTrueNative() throws InterruptedException, IOException {
        Process p = new ProcessBuilder("/bin/true").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor();
    }
}
