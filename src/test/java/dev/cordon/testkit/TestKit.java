package dev.cordon.testkit;

import dev.cordon.Policy;
import dev.cordon.RunResult;
import dev.cordon.SandboxBuilder;
import dev.cordon.SandboxProcess;
import dev.cordon.internal.sys.Sys;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Shared test fixtures: real programs, real kernel. Directories are world-accessible, because as root
 * the sandboxed program runs as uid 65534: a denial must come from the sandbox, not from file modes.
 */
public final class TestKit {
    private TestKit() {}

    public static final boolean ROOT = Sys.geteuid() == 0;
    /** The uid the sandboxed program runs as. */
    public static final int SANDBOX_UID = ROOT ? Policy.NOBODY : Sys.geteuid();

    private static final Path BASE = createBase();

    private static Path createBase() {
        try {
            Path base = Path.of("/tmp", "cordon-test-" + Sys.geteuid() + "-" + ProcessHandle.current().pid());
            Files.createDirectories(base);
            open(base);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(base)));
            return base;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new empty directory anyone may write. */
    public static Path newDir(String name) {
        try {
            Path dir = Files.createTempDirectory(BASE, name + "-");
            open(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A file anyone may read and write, with the given content. */
    public static Path file(Path dir, String name, String content) {
        try {
            Path f = dir.resolve(name);
            Files.writeString(f, content);
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-rw-"));
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void open(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    private static Path probe;

    /** The static C probe (src/test/resources/c/probe.c), compiled once per test JVM. */
    public static synchronized Path probe() {
        if (probe == null) probe = compile("probe", resource("c/probe.c"), "-static");
        return probe;
    }

    /** Compiles C source with gcc into a world-executable binary. */
    public static Path compile(String name, String source, String... flags) {
        Path dir = newDir("bin-" + name);
        Path src = file(dir, name + ".c", source);
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O1", "-Wall", "-o", out.toString(), src.toString()));
        cmd.addAll(List.of(flags));
        cmd.add("-lpthread");
        Ran r = nativeRun(cmd, false);
        if (r.exit() != 0) throw new IllegalStateException("gcc failed for " + name + ":\n" + r.stderr());
        return out;
    }

    public static String resource(String name) {
        try (InputStream in = TestKit.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing test resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a run printed and how it ended. */
    public record Ran(int exit, String stdout, String stderr, RunResult result) {
        /** The probe's first line: "OK" or an errno name. */
        public String status() {
            return stdout.lines().findFirst().orElse("");
        }

        /** The probe's output after its first line. */
        public String data() {
            return stdout.lines().skip(1).reduce((a, b) -> a + "\n" + b).orElse("");
        }
    }

    /**
     * The engine every test policy runs under: {@code -Dcordon.test.engine=ptrace} runs the same policy tests
     * against the ptrace engine (./run-tests does both).
     */
    public static final dev.cordon.Engine ENGINE =
            "ptrace".equals(System.getProperty("cordon.test.engine")) ? dev.cordon.Engine.PTRACE : dev.cordon.Engine.NOTIFY;

    static Policy withTestEngine(Policy p) {
        if (p.engine() == ENGINE) return p;
        return new Policy(p.paths(), p.tcpConnect(), p.tcpBind(), p.environment(), p.workingDirectory(), p.uid(),
                p.gid(), p.limits(), p.bestEffort(), p.audit(), p.namespaces(), p.syscalls(), ENGINE, p.freshTmp(),
                p.exposeMetadata());
    }

    /** Runs a command in the sandbox, capturing stdout and stderr. */
    public static Ran run(Policy policy, List<String> command) {
        policy = withTestEngine(policy);
        try (SandboxProcess p = new SandboxBuilder(policy, command).start()) {
            p.stdin().close();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.stderr()));
            String out = readAll(p.stdout());
            RunResult r = p.waitFor();
            return new Ran(r.exitStatus(), out, err.get(60, TimeUnit.SECONDS), r);
        } catch (Exception e) {
            if (e instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e);
        }
    }

    /** Runs the probe in the sandbox: {@code policy} gets execute on the probe added. */
    public static Ran probe(Policy.Builder policy, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(probe().toString());
        cmd.addAll(List.of(args));
        return run(policy.execute(probe().toString()).build(), cmd);
    }

    /** Runs the probe without any sandbox, as the same user the sandbox would use: the attack's baseline. */
    public static Ran probeNative(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(probe().toString());
        cmd.addAll(List.of(args));
        return nativeRun(cmd, true);
    }

    /** Runs a command with the JDK's ProcessBuilder; {@code asSandboxUser} drops to uid 65534 when root. */
    public static Ran nativeRun(List<String> command, boolean asSandboxUser) {
        List<String> cmd = new ArrayList<>();
        if (asSandboxUser && ROOT) {
            cmd.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        cmd.addAll(command);
        try {
            Process p = new ProcessBuilder(cmd).start();
            p.getOutputStream().close();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            String out = readAll(p.getInputStream());
            int exit = p.waitFor();
            return new Ran(exit, out, err.get(60, TimeUnit.SECONDS), null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a dynamically linked system program (sh, cat, python3, gcc) needs to start. */
    public static Policy.Builder system() {
        Policy.Builder b = Policy.builder().env("PATH", "/usr/local/bin:/usr/bin:/bin").env("LANG", "C.UTF-8");
        for (String p : List.of("/usr", "/bin", "/lib", "/lib64", "/sbin")) {
            if (Files.exists(Path.of(p))) b.execute(p);
        }
        return b.read("/etc");
    }

    static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort at exit.
        }
    }
}
