package dev.cordon.internal.learn;

import dev.cordon.testkit.TestKit;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyWriterTest {
    @Test
    void manyEntriesOfOneDirectoryCollapseIntoItAndCountOnceInTheirParent() {
        Path root = TestKit.newDir("collapse");
        Path lib = root.resolve("lib");
        List<Path> used = new ArrayList<>();
        for (int i = 0; i < 3; i++) used.add(TestKit.file(dirIn(lib, "pkg" + i), "m.py", ""));
        for (int i = 0; i < 2; i++) used.add(TestKit.file(lib, "f" + i + ".py", ""));
        Path few = dirIn(root, "few");
        used.add(TestKit.file(few, "a", ""));
        // lib has 5 used entries (3 packages, 2 files): collapsed at 5, not at 6.
        assertThat(PolicyWriter.collapse(used, 5)).contains(lib, few.resolve("a")).hasSize(2);
        assertThat(PolicyWriter.collapse(used, 6)).hasSize(6);
        // Never into "/" or a top-level directory, however many entries.
        assertThat(PolicyWriter.collapse(List.of(Path.of("/usr"), Path.of("/etc"), Path.of("/tmp")), 2)).hasSize(3);
    }

    static Path dirIn(Path parent, String name) {
        try {
            return java.nio.file.Files.createDirectories(parent.resolve(name));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void entriesInsideAnotherRulesDirectoryAreDropped() {
        Path root = TestKit.newDir("covered");
        Path inner = TestKit.file(root, "x", "");
        assertThat(PolicyWriter.withoutCovered(java.util.Set.of(inner, Path.of("/etc/hostname")), java.util.Set.of(root)))
                .containsExactly(Path.of("/etc/hostname"));
    }

    @Test
    void rulesOnTheRootOrATopLevelTreeAreFlaggedForReview() {
        assertThat(PolicyWriter.broad(List.of(Path.of("/"), Path.of("/usr"), Path.of("/usr/lib"), Path.of("/tmp/w"))))
                .containsExactly("/", "/usr");
    }

    @Test
    void tomlStringsAreEscaped() {
        assertThat(PolicyWriter.quote("/a \"b\"\\c\n")).isEqualTo("\"/a \\\"b\\\"\\\\c\\u000a\"");
    }
}
