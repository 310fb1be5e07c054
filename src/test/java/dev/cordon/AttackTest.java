package dev.cordon;

import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Path attacks on the supervisor's decisions (seed 000): a second thread or a second process flipping the path
 * after a check, planted links, a directory swapped for a symlink, {@code ..} from an allowed descriptor, and
 * /proc/self/root and /proc/PID/cwd. Each is run without the sandbox first, as the same user, and must leak there;
 * in the sandbox the secret must never be read, at the default audit level and at {@code all}, where the
 * supervisor inspects every open.
 */
class AttackTest {
    private static Path attack;

    static synchronized Path attack() {
        if (attack == null) attack = TestKit.compile("attack", TestKit.resource("c/attack.c"), "-static");
        return attack;
    }

    static Stream<Arguments> attacks() {
        return Stream.of("thread-flip", "shared-flip", "symlink", "hardlink", "dir-swap", "dotdot", "proc-root")
                .flatMap(mode -> Stream.of(AuditLevel.DENIED, AuditLevel.ALL).map(level -> Arguments.of(mode, level)));
    }

    @ParameterizedTest(name = "{0} at audit level {1}")
    @MethodSource("attacks")
    void secretIsNeverRead(String mode, AuditLevel level) {
        Path allowedDir = TestKit.newDir("allowed");
        Path secretDir = TestKit.newDir("secret");
        Path writable = TestKit.newDir("writable");
        Path allowed = TestKit.file(allowedDir, "a.txt", "harmless\n");
        Path secret = TestKit.file(secretDir, "a.txt", "TOP-SECRET 42\n");
        List<String> cmd = List.of(attack().toString(), mode, allowed.toString(), secret.toString(), writable.toString());

        Ran free = TestKit.nativeRun(cmd, true);
        assertThat(free.stdout()).as("without the sandbox the attack works").isEqualTo("LEAK: TOP-SECRET 42\n");

        Path writable2 = TestKit.newDir("writable");
        List<String> sandboxed = List.of(attack().toString(), mode, allowed.toString(), secret.toString(), writable2.toString());
        Ran r = TestKit.run(Policy.builder().execute(attack().toString()).read(allowedDir.toString())
                .write(writable2.toString()).read("/proc").audit(level).build(), sandboxed);
        assertThat(r.stdout()).as("%s in the sandbox", mode).isEqualTo("HELD\n");
        assertThat(r.result().verdict()).isEqualTo(Verdict.OK);
    }
}
