package dev.cordon;

import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Path rules are enforced by Landlock: every kind of access outside the allowed set fails with the errno
 * the kernel gives, and each denied operation is shown to succeed without the sandbox, as the same user.
 */
class FilesystemPolicyTest {
    Path readable, writable, outside;

    @BeforeEach
    void files() {
        readable = TestKit.newDir("readable");
        writable = TestKit.newDir("writable");
        outside = TestKit.newDir("outside");
        TestKit.file(readable, "data.txt", "public data\n");
        TestKit.file(writable, "out.txt", "old\n");
        TestKit.file(outside, "secret.txt", "the secret\n");
    }

    private Policy.Builder policy() {
        return Policy.builder().read(readable.toString()).write(writable.toString());
    }

    /** The operation is denied in the sandbox with {@code errno}, and succeeds natively. */
    private void denied(String errno, String... probeArgs) {
        Ran sandboxed = TestKit.probe(policy(), probeArgs);
        assertThat(sandboxed.status()).as("sandboxed %s", String.join(" ", probeArgs)).isEqualTo(errno);
    }

    private void deniedButNativeWorks(String errno, String... probeArgs) {
        denied(errno, probeArgs);
        Ran free = TestKit.probeNative(probeArgs);
        assertThat(free.status()).as("native %s", String.join(" ", probeArgs)).isEqualTo("OK");
    }

    private void allowed(String... probeArgs) {
        assertThat(TestKit.probe(policy(), probeArgs).status()).as("sandboxed %s", String.join(" ", probeArgs))
                .isEqualTo("OK");
    }

    @Test
    void readingAnAllowedFileWorks() {
        Ran r = TestKit.probe(policy(), "read", readable.resolve("data.txt").toString());
        assertThat(r.status()).isEqualTo("OK");
        assertThat(r.data()).isEqualTo("public data");
    }

    @Test
    void readingOutsideIsDenied() {
        Ran r = TestKit.probe(policy(), "read", outside.resolve("secret.txt").toString());
        assertThat(r.status()).isEqualTo("EACCES");
        assertThat(r.stdout()).doesNotContain("the secret");
        assertThat(TestKit.probeNative("read", outside.resolve("secret.txt").toString()).data()).isEqualTo("the secret");
    }

    @Test
    void listingOutsideIsDenied() {
        allowed("list", readable.toString());
        deniedButNativeWorks("EACCES", "list", outside.toString());
        deniedButNativeWorks("EACCES", "list", "/");
    }

    @Test
    void writingIsDeniedOutsideWriteRules() {
        allowed("write", writable.resolve("out.txt").toString());
        deniedButNativeWorks("EACCES", "write", readable.resolve("data.txt").toString());
        deniedButNativeWorks("EACCES", "write", outside.resolve("secret.txt").toString());
    }

    @Test
    void creatingIsDeniedOutsideWriteRules() {
        allowed("create", writable.resolve("new.txt").toString());
        allowed("mkdir", writable.resolve("newdir").toString());
        allowed("symlink", "/etc/passwd", writable.resolve("link").toString());
        allowed("mkfifo", writable.resolve("fifo").toString());
        deniedButNativeWorks("EACCES", "create", readable.resolve("new.txt").toString());
        deniedButNativeWorks("EACCES", "mkdir", outside.resolve("newdir").toString());
        deniedButNativeWorks("EACCES", "symlink", "/etc/passwd", outside.resolve("link").toString());
        deniedButNativeWorks("EACCES", "mkfifo", outside.resolve("fifo").toString());
    }

    @Test
    void deletingIsDeniedOutsideWriteRules() throws Exception {
        allowed("unlink", writable.resolve("out.txt").toString());
        Files.createDirectory(outside.resolve("sub"));
        Files.setPosixFilePermissions(outside.resolve("sub"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        denied("EACCES", "unlink", readable.resolve("data.txt").toString());
        denied("EACCES", "rmdir", outside.resolve("sub").toString());
        deniedButNativeWorks("EACCES", "unlink", outside.resolve("secret.txt").toString());
    }

    @Test
    void renamingIsDeniedOutsideWriteRules() {
        TestKit.file(writable, "a.txt", "a");
        allowed("rename", writable.resolve("a.txt").toString(), writable.resolve("b.txt").toString());
        // Moving a file out of the writable tree, or a foreign file into it.
        denied("EACCES", "rename", writable.resolve("b.txt").toString(), outside.resolve("b.txt").toString());
        denied("EACCES", "rename", outside.resolve("secret.txt").toString(), writable.resolve("stolen.txt").toString());
        deniedButNativeWorks("EACCES", "rename", outside.resolve("secret.txt").toString(), outside.resolve("moved.txt").toString());
    }

    @Test
    void hardLinkingIsDenied() {
        TestKit.file(writable, "mine.txt", "mine");
        allowed("link", writable.resolve("mine.txt").toString(), writable.resolve("mine2.txt").toString());
        // A hard link to a forbidden file inside the writable tree would make it readable there.
        denied("EXDEV", "link", outside.resolve("secret.txt").toString(), writable.resolve("stolen.txt").toString());
        deniedButNativeWorks("EACCES", "link", outside.resolve("secret.txt").toString(), outside.resolve("l.txt").toString());
    }

    @Test
    void truncatingIsDeniedOutsideWriteRules() {
        allowed("truncate", writable.resolve("out.txt").toString());
        deniedButNativeWorks("EACCES", "truncate", outside.resolve("secret.txt").toString());
    }

    @Test
    void executingIsDeniedOutsideExecuteRules() throws Exception {
        Path copy = writable.resolve("probe-copy");
        Files.copy(TestKit.probe(), copy);
        Files.setPosixFilePermissions(copy, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        // Writable is not executable: a program cannot drop a binary and run it.
        deniedButNativeWorks("EACCES", "exec", copy.toString(), "ok");
        // The probe itself is under an execute rule.
        Ran r = TestKit.probe(policy(), "exec", TestKit.probe().toString(), "ok");
        assertThat(r.status()).isEqualTo("OK");
    }

    @Test
    void metadataOfReadableFilesCannotBeChangedWithoutAWriteRule() throws Exception {
        // A file the sandbox's own user owns (as an ordinary user: the user's own files, e.g. ~/.ssh/id_rsa):
        // Landlock does not govern chmod, chown, utimes or xattrs, so the filter must.
        Path mine = TestKit.file(readable, "mine.txt", "mine");
        if (TestKit.ROOT) {
            java.nio.file.attribute.UserPrincipalLookupService users = mine.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(mine, users.lookupPrincipalByName("nobody"));
        }
        Policy.Builder readOnly = Policy.builder().read(readable.toString());
        for (String[] call : new String[][] {{"chmod", mine.toString(), "0777"}, {"fchmod", mine.toString(), "0777"},
                {"utime", mine.toString()}}) {
            assertThat(TestKit.probe(readOnly, call).status()).as("sandboxed %s", call[0]).isEqualTo("EPERM");
        }
        assertThat(TestKit.probe(readOnly, "setxattr", mine.toString()).status()).isEqualTo("EPERM");
        assertThat(Files.getPosixFilePermissions(mine)).isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThat(TestKit.probeNative("chmod", mine.toString(), "0600").status()).isEqualTo("OK");
        assertThat(TestKit.probeNative("utime", mine.toString()).status()).isEqualTo("OK");
    }

    @Test
    void memfdsStillWorkForData() {
        Ran r = TestKit.probe(policy(), "memfd", "1"); // MFD_CLOEXEC
        assertThat(r.status()).isEqualTo("OK");
        assertThat(r.data()).isEqualTo("hello cloexec=1");
        assertThat(TestKit.probe(policy(), "memfd", "0").data()).isEqualTo("hello cloexec=0");
        assertThat(TestKit.probe(policy(), "memfd", "0x10").status()).isEqualTo("EPERM"); // MFD_EXEC
    }

    @Test
    void executingFromMemoryIsDenied() {
        // memfd_create + execveat(AT_EMPTY_PATH): a binary that exists in no allowed tree.
        deniedButNativeWorks("EACCES", "memfdexec");
    }
}
