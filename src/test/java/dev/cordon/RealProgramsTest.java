package dev.cordon;

import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Everyday programs run in the sandbox with exactly the outcome expected, and meet its walls. */
class RealProgramsTest {
    @Test
    void shellPipelineRuns() {
        Ran r = TestKit.run(TestKit.system().build(), List.of("sh", "-c", "echo hello | tr a-z A-Z; exit 3"));
        assertThat(r.stdout()).isEqualTo("HELLO\n");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.result().termination()).isEqualTo(new Termination.Exited(3));
    }

    @Test
    void catReadsAllowedFileAndIsRefusedOthers() {
        Path dir = TestKit.newDir("cat");
        Path secretDir = TestKit.newDir("secret");
        TestKit.file(dir, "a.txt", "alpha\n");
        TestKit.file(secretDir, "s.txt", "secret\n");
        Ran ok = TestKit.run(TestKit.system().read(dir.toString()).build(), List.of("cat", dir.resolve("a.txt").toString()));
        assertThat(ok.stdout()).isEqualTo("alpha\n");
        Ran denied = TestKit.run(TestKit.system().read(dir.toString()).build(),
                List.of("cat", secretDir.resolve("s.txt").toString()));
        assertThat(denied.exit()).isEqualTo(1);
        assertThat(denied.stdout()).isEmpty();
        assertThat(denied.stderr()).contains("Permission denied");
    }

    @Test
    void lsListsAllowedDirectoryOnly() {
        Path dir = TestKit.newDir("ls");
        TestKit.file(dir, "one", "");
        TestKit.file(dir, "two", "");
        Ran ok = TestKit.run(TestKit.system().read(dir.toString()).build(), List.of("ls", dir.toString()));
        assertThat(ok.stdout()).isEqualTo("one\ntwo\n");
        Ran denied = TestKit.run(TestKit.system().build(), List.of("ls", "/root"));
        assertThat(denied.exit()).isEqualTo(2);
        // Outside the policy even its metadata is hidden: /root does not exist for the program.
        assertThat(denied.stderr()).contains("No such file or directory");
    }

    @Test
    void python3RunsAndCannotReachOutside() {
        Path out = TestKit.newDir("py");
        Ran r = TestKit.run(TestKit.system().write(out.toString()).build(), List.of("python3", "-c", """
                import os, socket
                open(os.path.join(%s, 'result.txt'), 'w').write('42')
                try:
                    open('/root/.bashrc')
                except PermissionError as e:
                    print('read denied', e.errno)
                try:
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                except PermissionError as e:
                    print('udp denied', e.errno)
                """.formatted("'" + out + "'")));
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout()).isEqualTo("read denied 13\nudp denied 13\n");
        assertThat(out.resolve("result.txt")).hasContent("42");
    }

    @Test
    void gccCompilesAndTheProgramRuns() throws Exception {
        Path work = TestKit.newDir("gcc");
        TestKit.file(work, "hello.c", """
                #include <stdio.h>
                int main(void) { printf("compiled %d\\n", 6 * 7); return 0; }
                """);
        // gcc writes its temporary files to TMPDIR: point it into the writable directory.
        Policy compile = TestKit.system().write(work.toString()).env("TMPDIR", work.toString()).workingDirectory(work).build();
        Ran cc = TestKit.run(compile, List.of("gcc", "-O2", "-o", "hello", "hello.c"));
        assertThat(cc.stderr()).isEmpty();
        assertThat(cc.exit()).isZero();
        assertThat(Files.isExecutable(work.resolve("hello"))).isTrue();

        // The output directory is writable, not executable: running the result needs an execute rule.
        assertThatThrownBy(() -> TestKit.run(compile, List.of(work.resolve("hello").toString())))
                .isInstanceOfSatisfying(LaunchException.class,
                        e -> assertThat(e.reason()).isEqualTo(LaunchException.Reason.DENIED_BY_POLICY));
        Ran run = TestKit.run(TestKit.system().execute(work.resolve("hello").toString()).build(),
                List.of(work.resolve("hello").toString()));
        assertThat(run.stdout()).isEqualTo("compiled 42\n");
    }
}
