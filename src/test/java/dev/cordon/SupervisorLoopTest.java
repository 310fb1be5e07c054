package dev.cordon;

import dev.cordon.testkit.TestKit;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The supervisor's hot path at audit level all: a busy sandbox moves to a listener thread of its own (which
 * sleeps in RECV, where the kernel's synchronous wake-up works), keeps explaining refusals there, and that thread
 * ends with the sandbox.
 */
class SupervisorLoopTest {
    private static final String PROGRAM = """
            #include <errno.h>
            #include <fcntl.h>
            #include <stdio.h>
            #include <string.h>
            #include <unistd.h>
            static void try_open(const char *p, int flags) {
                int fd = open(p, flags, 0644);
                printf("%s\\n", fd >= 0 ? "OK" : errno == EACCES ? "EACCES" : strerror(errno));
                if (fd >= 0) close(fd);
            }
            int main(int argc, char **argv) {
                for (int i = 0; i < 500; i++) { int fd = open(argv[1], O_RDONLY); if (fd < 0) return 3; close(fd); }
                printf("busy\\n"); fflush(stdout);
                char c; if (read(0, &c, 1) != 1) return 4; /* the test looks at the supervisor's threads meanwhile */
                try_open(argv[2], O_RDONLY);          /* forbidden */
                try_open(argv[3], O_RDONLY);          /* an allowed name, a symlink to the forbidden file */
                try_open(argv[4], O_WRONLY | O_CREAT); /* a new file in a read-only directory */
                try_open(argv[1], O_RDONLY);          /* allowed */
                return 0;
            }
            """;

    private static long listenerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("cordon-listener-")).count();
    }

    @Test
    void busySandboxGetsItsOwnListenerThreadWhichStillExplainsRefusalsAndEndsWithIt() throws Exception {
        Path bin = TestKit.compile("busy_opens", PROGRAM, "-static");
        Path allowed = TestKit.newDir("allowed");
        Path file = TestKit.file(allowed, "data.txt", "x");
        Path secretDir = TestKit.newDir("secret");
        Path secret = TestKit.file(secretDir, "secret.txt", "s");
        Path link = allowed.resolve("link");
        Files.createSymbolicLink(link, secret);
        long before = listenerThreads();
        List<Violation> seen = new CopyOnWriteArrayList<>();
        Policy policy = Policy.builder().execute(bin.getParent().toString()).read(allowed.toString())
                .audit(AuditLevel.ALL).build();
        RunResult r;
        String out;
        try (SandboxProcess p = new SandboxBuilder(policy, bin.toString(), file.toString(), secret.toString(),
                link.toString(), allowed.resolve("new.txt").toString()).onViolation(seen::add).start()) {
            var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.stdout()));
            assertThat(lines.readLine()).isEqualTo("busy");
            assertThat(listenerThreads()).as("listener threads while busy").isEqualTo(before + 1);
            p.stdin().write('\n');
            p.stdin().close();
            out = lines.lines().reduce("", (a, b) -> a + b + "\n");
            r = p.waitFor();
        }
        assertThat(r.exitStatus()).isZero();
        assertThat(out).isEqualTo("EACCES\nEACCES\nEACCES\nOK\n");
        assertThat(seen).extracting(Violation::reason)
                .containsExactly("not in read rules", "not in read rules", "not in write rules");
        assertThat(seen.get(1).call()).isEqualTo("openat(AT_FDCWD, \"" + link + "\", O_RDONLY)");
        // The listener thread ends once no process uses the filter (it reports that before it returns).
        for (int i = 0; i < 500 && listenerThreads() > before; i++) Thread.sleep(10);
        assertThat(listenerThreads()).as("listener threads after the run").isEqualTo(before);
    }

    @Test
    void aDirectoryOpenIsExplainedWhereOnlyAFileInItIsReadable() {
        Path dir = TestKit.newDir("onefile");
        Path file = TestKit.file(dir, "only.txt", "x");
        List<Violation> seen = new CopyOnWriteArrayList<>();
        Policy.Builder policy = Policy.builder().read(file.toString()).audit(AuditLevel.ALL);
        // The probe opens its argument O_RDONLY: allowed for the file, refused by Landlock for its directory.
        assertThat(TestKit.probe(policy, "read", file.toString()).status()).isEqualTo("OK");
        var builder = policy.execute(TestKit.probe().toString()).build();
        try (SandboxProcess p = new SandboxBuilder(builder, TestKit.probe().toString(), "read", dir.toString())
                .onViolation(seen::add).start()) {
            assertThat(new String(p.stdout().readAllBytes())).isEqualTo("EACCES\n");
            p.waitFor();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(seen).singleElement().satisfies(v -> {
            assertThat(v.call()).isEqualTo("openat(AT_FDCWD, \"" + dir + "\", O_RDONLY)");
            assertThat(v.reason()).isEqualTo("not in read rules");
        });
    }
}
