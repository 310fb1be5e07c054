package dev.cordon;

import dev.cordon.testkit.TestKit;
import dev.cordon.testkit.TestKit.Ran;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A denied subtree inside an allowed tree ({@code --read /home/u --deny /home/u/.ssh}), enforced by Landlock. */
class DenyRuleTest {
    Path home() throws Exception {
        Path home = TestKit.newDir("home");
        for (String d : new String[] {".ssh", "docs", "docs/deep"}) {
            Files.createDirectories(home.resolve(d));
            Files.setPosixFilePermissions(home.resolve(d), PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        TestKit.file(home.resolve(".ssh"), "id_rsa", "PRIVATE KEY\n");
        TestKit.file(home.resolve("docs/deep"), "a.txt", "doc\n");
        TestKit.file(home, "top.txt", "top\n");
        return home;
    }

    @Test
    void deniedSubtreeIsUnreachableAndTheRestIsNot() throws Exception {
        Path home = home();
        Policy.Builder p = Policy.builder().read(home.toString()).deny(home.resolve(".ssh").toString());
        assertThat(TestKit.probe(p, "read", home.resolve("top.txt").toString()).data()).isEqualTo("top");
        assertThat(TestKit.probe(p, "read", home.resolve("docs/deep/a.txt").toString()).data()).isEqualTo("doc");
        assertThat(TestKit.probe(p, "list", home.resolve("docs").toString()).status()).isEqualTo("OK");
        assertThat(TestKit.probe(p, "read", home.resolve(".ssh/id_rsa").toString()).status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(p, "list", home.resolve(".ssh").toString()).status()).isEqualTo("EACCES");
        // The documented price: the directory holding the denied path can no longer be listed.
        assertThat(TestKit.probe(p, "list", home.toString()).status()).isEqualTo("EACCES");
        assertThat(TestKit.probeNative("read", home.resolve(".ssh/id_rsa").toString()).status()).isEqualTo("OK");
    }

    @Test
    void aWritableTreeCannotReachItsDeniedPartThroughLinksOrRenames() throws Exception {
        Path home = home();
        Policy.Builder p = Policy.builder().write(home.toString()).deny(home.resolve(".ssh").toString());
        Path docs = home.resolve("docs");
        assertThat(TestKit.probe(p, "symlink", home.resolve(".ssh/id_rsa").toString(), docs.resolve("l").toString())
                .status()).isEqualTo("OK");
        assertThat(TestKit.probe(p, "read", docs.resolve("l").toString()).status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(p, "link", home.resolve(".ssh/id_rsa").toString(), docs.resolve("h").toString())
                .status()).isIn("EACCES", "EXDEV");
        assertThat(TestKit.probe(p, "rename", home.resolve(".ssh").toString(), docs.resolve("moved").toString())
                .status()).isIn("EACCES", "EXDEV");
        assertThat(Files.exists(home.resolve(".ssh/id_rsa"))).isTrue();
        assertThat(TestKit.probe(p, "create", docs.resolve("new.txt").toString()).status()).isEqualTo("OK");
    }

    @Test
    void denyingWhatIsAllowedIsContradictory() {
        assertThatThrownBy(() -> Policy.builder().read("/usr").deny("/usr").build())
                .isInstanceOf(PolicyException.class).hasMessage("contradictory rules: /usr is both allowed (read) and denied");
    }
}
