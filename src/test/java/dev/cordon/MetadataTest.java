package dev.cordon;

import dev.cordon.cli.CliTest;
import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Metadata outside the policy, where no mount namespace hides it: reads (stat, access, readlink, xattrs,
 * statfs, chdir, O_PATH) answer ENOENT as if the file did not exist, changes (chmod, chown, utimes, xattrs) are
 * allowed beneath write rules only. The supervisor performs each call itself on the object it opened, so the
 * attacks below (a path rewritten by another thread, a planted link, "..", /proc/self/root and cwd) find
 * nothing to race. Each attack is run without the sandbox first, as the same user, and must leak there.
 */
class MetadataTest {
    private static Path attack;

    static synchronized Path attack() {
        if (attack == null) attack = TestKit.compile("metaattack", TestKit.resource("c/metaattack.c"), "-static");
        return attack;
    }

    /** A secret file the sandbox user owns (so that natively it may chmod it), in its own directory. */
    private static Path secret() throws Exception {
        Path dir = TestKit.newDir("secret");
        Path secret = TestKit.file(dir, "a.txt", "TOP-SECRET 42\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        if (TestKit.ROOT) Files.setAttribute(secret, "unix:uid", TestKit.SANDBOX_UID);
        return secret;
    }

    private static String inode(Path p) throws Exception {
        return Files.getAttribute(p, "unix:ino").toString();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"stat-flip", "reuse", "symlink", "dotdot", "proc"})
    void hiddenMetadataIsNeverRead(String mode) throws Exception {
        Path allowedDir = TestKit.newDir("allowed");
        Path allowed = TestKit.file(allowedDir, "a.txt", "harmless\n");
        Path secret = secret();
        Ran free = TestKit.nativeRun(List.of(attack().toString(), mode, allowed.toString(), secret.toString(),
                TestKit.newDir("writable").toString(), inode(secret)), true);
        assertThat(free.stdout()).as("without the sandbox the attack works").startsWith("LEAK: ");

        Path writable = TestKit.newDir("writable");
        Ran r = TestKit.run(Policy.builder().execute(attack().toString()).read(allowedDir.toString())
                .write(writable.toString()).read("/proc").build(), List.of(attack().toString(), mode,
                allowed.toString(), secret.toString(), writable.toString(), inode(secret)));
        assertThat(r.stdout()).as("%s in the sandbox (natively: %s)", mode, free.stdout()).isEqualTo("HELD\n");
        assertThat(r.result().verdict()).isEqualTo(Verdict.OK);
    }

    /**
     * Another process's magic links (/proc/PID/fd/N, root): the supervisor resolves links itself, outside the
     * program's Landlock domain (which may not follow them) and as root with CAP_SYS_PTRACE, so it must follow
     * and read them only in the program's own /proc directory.
     */
    @Test
    void anotherProcesssMagicLinksAreNotFollowed() throws Exception {
        List<String> victim = new ArrayList<>();
        if (TestKit.ROOT) victim.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        victim.addAll(List.of("sleep", "60"));
        Process outside = new ProcessBuilder(victim).start();
        try {
            // As root the victim is setpriv until it has dropped to uid 65534 and executed sleep: wait for that,
            // or the native attack (as uid 65534) may meet root's setpriv and fail.
            Path comm = Path.of("/proc", Long.toString(outside.pid()), "comm");
            for (int i = 0; i < 500 && !Files.readString(comm).strip().equals("sleep"); i++) Thread.sleep(10);
            List<String> cmd = List.of(attack().toString(), "procfd", Long.toString(outside.pid()), "1");
            assertThat(TestKit.nativeRun(cmd, true).stdout()).as("without the sandbox the attack works")
                    .startsWith("LEAK: stat readlink opath");
            Ran r = TestKit.run(Policy.builder().execute(attack().toString()).read("/proc").build(), cmd);
            assertThat(r.stdout()).isEqualTo("HELD\n");
        } finally {
            outside.destroyForcibly().waitFor();
        }
    }

    /**
     * As root the supervisor thread performs hidden reads with the sandbox's file-system identity and keeps it
     * between reads (FsIdentity); by the end of the run it must be root's again, or the next sandbox's cgroup
     * removal, or any other work of that thread, would run as uid 65534.
     */
    @Test
    void theSupervisorThreadGetsItsOwnIdentityBackAfterHiddenReads() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(TestKit.ROOT, "only root switches its file-system identity");
        Ran r = TestKit.run(Policy.builder().read("/usr").execute("/usr").build(),
                List.of("/bin/sh", "-c", "for i in 1 2 3 4 5 6; do test -e /usr/bin; test -e /etc/shadow; done; echo ok"));
        assertThat(r.stdout()).isEqualTo("ok\n");
        if (TestKit.ENGINE != dev.cordon.Engine.NOTIFY) return; // the ptrace engine has no supervisor thread
        int checked = 0;
        for (Path task : Files.list(Path.of("/proc/self/task")).toList()) {
            String name = Files.readString(task.resolve("comm")).strip();
            if (!name.equals("cordon-supervis") && !name.startsWith("cordon-listene")) continue; // comm: 15 chars
            String uid = Files.readAllLines(task.resolve("status")).stream().filter(l -> l.startsWith("Uid:"))
                    .findFirst().orElseThrow();
            assertThat(uid.split("\\s+")[4]).as("fsuid of %s (%s)", name, task).isEqualTo("0");
            checked++;
        }
        assertThat(checked).as("supervisor threads found").isPositive();
    }

    /**
     * The caller's listeners are the caller's code: as root they must never run with the sandbox's file-system
     * identity, which the supervisor thread keeps between hidden reads. At audit level all every read is
     * reported, visible ones to onCall, hidden ones to onViolation.
     */
    @Test
    void listenersRunWithTheSupervisorsOwnIdentity() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(TestKit.ROOT, "only root switches its file-system identity");
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        Runnable look = () -> {
            try {
                String uid = Files.readAllLines(Path.of("/proc/thread-self/status")).stream()
                        .filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
                seen.add(uid.split("\\s+")[4]);
            } catch (java.io.IOException e) {
                seen.add(e.toString());
            }
        };
        Policy policy = Policy.builder().read("/usr").execute("/usr").audit(AuditLevel.ALL).build();
        try (SandboxProcess p = new SandboxBuilder(policy, List.of("/bin/sh", "-c",
                "for i in 1 2 3; do test -e /usr/bin; test -e /etc/shadow; done"))
                .onCall(c -> look.run()).onViolation(v -> look.run()).start()) {
            p.stdin().close();
            assertThat(p.waitFor().exitStatus()).isEqualTo(1); // the last test -e fails: /etc/shadow is hidden
        }
        assertThat(seen).hasSizeGreaterThan(6).containsOnly("0");
    }

    @Test
    void chmodOfAPathFlippedToAProtectedFileNeverLands() throws Exception {
        Path secret = secret();
        Ran free = TestKit.nativeRun(List.of(attack().toString(), "chmod-flip", secret.toString(), secret.toString(),
                TestKit.newDir("writable").toString(), "0"), true);
        assertThat(free.stdout()).isEqualTo("DONE\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)))
                .as("without the sandbox the chmod lands").isEqualTo("rw-------");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));

        Path writable = TestKit.newDir("writable");
        // The protected file is readable in the sandbox: visible, but not writable.
        Ran r = TestKit.run(Policy.builder().execute(attack().toString()).read(secret.getParent().toString())
                .write(writable.toString()).build(), List.of(attack().toString(), "chmod-flip", secret.toString(),
                secret.toString(), writable.toString(), "0"));
        assertThat(r.stdout()).isEqualTo("DONE\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(writable.resolve("own.txt"))))
                .as("the writable file was changed").isEqualTo("rw-------");
        assertThat(r.result().violations()).isNotEmpty().allSatisfy(v -> {
            assertThat(v.call()).isEqualTo("chmod(\"" + secret + "\", 0600)");
            assertThat(v.reason()).isEqualTo("not in write rules");
            assertThat(v.action()).isEqualTo("EPERM");
        });
    }

    @Test
    void visibleFilesAnswerAsTheyDoNatively() throws Exception {
        // O_PATH among them: the kernel cannot install an O_PATH descriptor for the supervisor (ADDFD gives
        // EBADF), so a visible object's O_PATH open must still work. Without write rules chmod is refused (EPERM)
        // in the sandbox; natively the sandbox user may chmod its own file, so a root-owned file is probed.
        Path dir = TestKit.newDir("visible");
        Path file = TestKit.file(dir, "v.txt", "visible\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Policy policy = Policy.builder().execute(attack().toString()).read(dir.toString()).build();
        for (Path p : List.of(file, dir)) {
            Ran in = TestKit.run(policy, List.of(attack().toString(), "errnos", p.toString()));
            assertThat(in.stdout()).contains("stat=OK ", "opath=OK ");
            // The native twin runs as the sandbox user, which fails the probe's chmod only where it does not own
            // the file: as root here. (Run by the owner, the native chmod 644 of the directory would lock it.)
            if (TestKit.ROOT) {
                Ran free = TestKit.nativeRun(List.of(attack().toString(), "errnos", p.toString()), true);
                assertThat(in.stdout()).isEqualTo(free.stdout());
            }
        }
    }

    @Test
    void hiddenFilesAnswerExactlyAsMissingOnes() throws Exception {
        Path secret = secret();
        Path missing = secret.getParent().resolve("missing");
        Policy policy = Policy.builder().execute(attack().toString()).build();
        String probe = attack().toString();
        // Without write rules every metadata change is refused (EPERM), whatever the path: that says nothing either.
        for (Path hidden : List.of(secret, secret.getParent())) {
            Ran free = TestKit.nativeRun(List.of(probe, "errnos", hidden.toString()), true);
            assertThat(free.stdout()).as("natively the file is there").contains("stat=OK");
            // The probe's chmod 644 lands natively where the sandbox user owns the directory.
            Files.setPosixFilePermissions(secret.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
            Ran in = TestKit.run(policy, List.of(probe, "errnos", hidden.toString()));
            Ran none = TestKit.run(policy, List.of(probe, "errnos", missing.toString()));
            assertThat(in.stdout()).isEqualTo(none.stdout()).isEqualTo("stat=ENOENT lstat=ENOENT access=ENOENT "
                    + "readlink=ENOENT getxattr=ENOENT statfs=ENOENT chmod=EPERM opath=ENOENT inotify=ENOENT chdir=ENOENT\n");
        }
        // A shell's existence test, as scripts probe for files.
        Ran sh = TestKit.run(TestKit.system().build(), List.of("sh", "-c",
                "test -e " + secret + " && echo present || echo absent; test -d " + secret.getParent()
                        + " && echo dir || echo nodir; test -e /usr/bin/env && echo env"));
        assertThat(sh.stdout()).isEqualTo("absent\nnodir\nenv\n");
    }

    /** A --deny beneath a read rule hides metadata too, also where the lookup stays beneath the read rule. */
    @Test
    void deniedFilesBeneathAReadRuleAnswerAsMissing() throws Exception {
        Path home = TestKit.newDir("home");
        Path ssh = Files.createDirectory(home.resolve(".ssh"));
        Path key = TestKit.file(ssh, "id", "KEY\n");
        TestKit.file(home, "pub.txt", "x\n");
        Files.createSymbolicLink(home.resolve("link"), Path.of(".ssh/id"));
        Ran free = TestKit.nativeRun(List.of(attack().toString(), "errnos", key.toString()), true);
        assertThat(free.stdout()).as("natively the file is there").contains("stat=OK");
        Policy policy = Policy.builder().execute(attack().toString()).read(home.toString()).deny(ssh.toString()).build();
        String missing = "stat=ENOENT lstat=ENOENT access=ENOENT readlink=ENOENT getxattr=ENOENT statfs=ENOENT "
                + "chmod=EPERM opath=ENOENT inotify=ENOENT chdir=ENOENT\n";
        for (Path p : List.of(key, ssh, ssh.resolve("missing"))) {
            assertThat(TestKit.run(policy, List.of(attack().toString(), "errnos", p.toString())).stdout())
                    .as(p.toString()).isEqualTo(missing);
        }
        // Through a relative link that stays beneath the read rule.
        assertThat(TestKit.run(policy, List.of(attack().toString(), "errnos", home.resolve("link").toString())).stdout())
                .startsWith("stat=ENOENT ").contains(" access=ENOENT ", " opath=ENOENT ");
    }

    /** inotify watches are a metadata read: none on a hidden directory, and they work on visible ones. */
    @Test
    void inotifyWatchesOnlyWhatIsVisible() throws Exception {
        Path hidden = TestKit.newDir("hidden");
        Path writable = TestKit.newDir("w");
        if (TestKit.ROOT) {
            Files.setAttribute(hidden, "unix:uid", TestKit.SANDBOX_UID);
            Files.setAttribute(writable, "unix:uid", TestKit.SANDBOX_UID);
        }
        assertThat(TestKit.nativeRun(List.of(attack().toString(), "inotify", hidden.toString()), true).stdout())
                .as("without the sandbox the watch sees names").isEqualTo("event made\n");
        Policy policy = Policy.builder().execute(attack().toString()).write(writable.toString()).build();
        assertThat(TestKit.run(policy, List.of(attack().toString(), "inotify", hidden.toString())).stdout())
                .isEqualTo("watch ENOENT\n");
        assertThat(TestKit.run(policy, List.of(attack().toString(), "inotify", writable.toString())).stdout())
                .isEqualTo("event made\n");
    }

    @Test
    void allowedFilesLookTheSameAsOutside() throws Exception {
        Path dir = TestKit.newDir("same");
        TestKit.file(dir, "a.txt", "alpha\n");
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve("a.txt"));
        Files.createDirectory(dir.resolve("sub"));
        String script = "cd " + dir + " && stat -c '%n %s %i %a %u %g %h %Y %F %N' a.txt link sub . /usr/bin/env /usr "
                + "&& stat -L -c '%n %i' link && ls -ln --time-style=+%s . && ls -lnd /usr /usr/bin && stat -f -c '%t %b' . "
                + "&& readlink link && test -r a.txt && test -w a.txt && test -x sub && echo tests "
                + "&& realpath a.txt sub link ../" + dir.getFileName() + "/sub/.. && { readlink a.txt || echo not a link; }";
        Ran free = TestKit.nativeRun(List.of("sh", "-c", script), true);
        assertThat(free.exit()).as(free.stderr()).isZero();
        Ran in = TestKit.run(TestKit.system().write(dir.toString()).build(), List.of("sh", "-c", script));
        assertThat(in.stderr()).isEmpty();
        assertThat(in.stdout()).isEqualTo(free.stdout());
    }

    @Test
    void metadataChangesBeneathWriteRulesOnly() throws Exception {
        Path writable = TestKit.newDir("w");
        Path readable = TestKit.newDir("r");
        Path mine = TestKit.file(writable, "mine", "x");
        Path theirs = TestKit.file(readable, "theirs", "x");
        if (TestKit.ROOT) {
            Files.setAttribute(mine, "unix:uid", TestKit.SANDBOX_UID);
            Files.setAttribute(theirs, "unix:uid", TestKit.SANDBOX_UID);
        }
        String script = "chmod 600 " + mine + " && touch -d @1000000000 " + mine + " && echo changed; chmod 600 "
                + theirs + " || echo refused; touch -d @1000000000 " + theirs + " || echo refused";
        Ran r = TestKit.run(TestKit.system().write(writable.toString()).read(readable.toString()).build(),
                List.of("sh", "-c", script));
        assertThat(r.stdout()).isEqualTo("changed\nrefused\nrefused\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(mine))).isEqualTo("rw-------");
        assertThat(Files.getLastModifiedTime(mine).toMillis()).isEqualTo(1_000_000_000_000L);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(theirs))).isEqualTo("rw-rw-rw-");
        assertThat(Files.getLastModifiedTime(theirs).toMillis()).isNotEqualTo(1_000_000_000_000L);
        assertThat(r.result().violations()).extracting(Violation::reason).containsOnly("not in write rules");
    }

    @Test
    void cliReportsADeniedChmodWordForWord() throws Exception {
        Path readable = TestKit.newDir("r");
        Path theirs = TestKit.file(readable, "theirs", "x");
        Path writable = TestKit.newDir("w");
        List<String> args = new ArrayList<>(List.of("run", "--exec", attack().toString(), "--read", readable.toString(),
                "--write", writable.toString(), "--", attack().toString(), "errnos", theirs.toString()));
        Ran r = CliTest.cordonRun(args);
        assertThat(r.stdout()).contains(" chmod=EPERM ");
        List<String> lines = r.stderr().lines().filter(l -> l.startsWith("cordon: denied")).toList();
        assertThat(lines).hasSize(1);
        String pid = lines.getFirst().replaceAll(".* by pid (\\d+) .*", "$1");
        String call = dev.cordon.internal.syscalls.Arch.current().number("chmod").isPresent()
                ? "chmod(\"" + theirs + "\", 0644)" : "fchmodat(AT_FDCWD, \"" + theirs + "\", 0644)";
        assertThat(lines.getFirst()).isEqualTo("cordon: denied " + call + " by pid " + pid
                + " (metaattack): not in write rules");
    }

    @Test
    void exposedMetadataIsReadableAndSaidSo() throws Exception {
        Path secret = secret();
        Ran r = TestKit.run(Policy.builder().execute(attack().toString()).exposeMetadata(true).build(),
                List.of(attack().toString(), "errnos", secret.toString()));
        assertThat(r.stdout()).startsWith("stat=OK lstat=OK access=OK");
        assertThat(r.result().notEnforced()).anyMatch(s -> s.contains("--no-hide-metadata"));
        Ran hidden = TestKit.run(Policy.builder().execute(attack().toString()).build(),
                List.of(attack().toString(), "errnos", secret.toString()));
        assertThat(hidden.result().layers()).anyMatch(s -> s.startsWith("hidden metadata"));
    }
}
