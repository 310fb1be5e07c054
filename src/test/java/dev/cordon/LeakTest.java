package dev.cordon;

import dev.cordon.internal.sys.ProcFs;
import dev.cordon.testkit.TestKit;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** 2,000 consecutive runs in one JVM leave no cgroup, process, zombie, descriptor or thread behind. */
class LeakTest {
    record Counts(long descriptors, long threads, long children, long cgroups) {}

    static Counts count() throws IOException {
        long fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.count();
        }
        long threads;
        long children = 0;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
            List<Path> tasks = s.toList();
            threads = tasks.size();
            for (Path t : tasks) {
                String c = ProcFs.read(t.resolve("children")).trim();
                if (!c.isEmpty()) children += c.split("\\s+").length;
            }
        }
        long cgroups = 0;
        String prefix = "cordon-" + ProcessHandle.current().pid() + "-";
        try (Stream<Path> s = Files.find(Path.of("/sys/fs/cgroup"), 6,
                (p, a) -> a.isDirectory() && p.getFileName() != null && p.getFileName().toString().startsWith(prefix))) {
            cgroups = s.count();
        } catch (IOException | java.io.UncheckedIOException e) {
            // Parts of /sys/fs/cgroup may be unreadable for an ordinary user; what is readable is counted.
        }
        return new Counts(fds, threads, children, cgroups);
    }

    /**
     * At audit level all every supervised call is logged with its thread's name, read through descriptors kept
     * open per thread for the run (ProcessNames), and hidden metadata holds the rules' directories open: all
     * must be closed when the run ends, with the listener's threads.
     */
    @Test
    void auditedRunsLeaveNoDescriptors() throws Exception {
        Policy policy = Policy.builder().read("/usr").execute("/usr").audit(AuditLevel.ALL).build();
        List<String> cmd = List.of("/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do cat /usr/include/stdio.h >/dev/null & done; wait");
        for (int i = 0; i < 10; i++) TestKit.run(policy, cmd);
        Thread.sleep(200);
        Counts before = count();
        for (int i = 0; i < 100; i++) {
            TestKit.Ran r = TestKit.run(policy, cmd);
            if (r.exit() != 0) throw new AssertionError("run " + i + " failed: " + r);
        }
        Thread.sleep(500);
        Counts after = count();
        assertThat(after.descriptors()).as("descriptors").isLessThanOrEqualTo(before.descriptors());
        assertThat(after.children()).as("children and zombies").isEqualTo(before.children());
    }

    @Test
    void twoThousandRunsLeaveNothingBehind() throws Exception {
        Policy policy = Policy.builder().execute(TestKit.probe().toString())
                .limits(Limits.NONE.withMemory(64 << 20).withWallTime(Duration.ofSeconds(10))).build();
        List<String> cmd = List.of(TestKit.probe().toString(), "ok");
        for (int i = 0; i < 20; i++) TestKit.run(policy, cmd); // warm up: supervisor, user thread, pools
        Thread.sleep(200);
        Counts before = count();
        long start = System.nanoTime();
        for (int i = 0; i < 2000; i++) {
            TestKit.Ran r = TestKit.run(policy, cmd);
            if (r.exit() != 0) throw new AssertionError("run " + i + " failed: " + r);
        }
        double perRun = (System.nanoTime() - start) / 2000 / 1e6;
        Thread.sleep(500); // let the last runs' cgroups and virtual threads finish
        Counts after = count();
        System.out.printf("before %s%nafter  %s%n2000 runs, %.2f ms each (with output capture)%n", before, after, perRun);
        assertThat(after.children()).as("children and zombies").isEqualTo(before.children());
        assertThat(after.cgroups()).as("cgroups").isZero();
        assertThat(after.descriptors()).as("descriptors").isLessThanOrEqualTo(before.descriptors());
        // Pool threads (ForkJoin common pool, virtual-thread carriers) may come and go; sandboxes add none for good.
        assertThat(after.threads()).as("threads").isLessThanOrEqualTo(before.threads() + 4);
    }
}
