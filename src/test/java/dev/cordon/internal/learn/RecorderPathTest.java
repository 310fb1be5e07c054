package dev.cordon.internal.learn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A learned path must name what the program reached: ".." after a symlink is the link target's parent. */
class RecorderPathTest {
    @Test
    void dotDotAfterASymlinkIsResolvedByTheFileSystem(@TempDir Path tmp) throws Exception {
        Path deep = Files.createDirectories(tmp.resolve("a/b")).toRealPath();
        Path link = Files.createSymbolicLink(tmp.toRealPath().resolve("link"), deep);
        // Lexically link/../.. would be the temp dir's parent; the file system says a.
        assertThat(Recorder.withoutDots(link.resolve("../x"))).isEqualTo(deep.getParent().resolve("x"));
        assertThat(Recorder.withoutDots(link.resolve(".."))).isEqualTo(deep.getParent());
        assertThat(Recorder.withoutDots(Path.of("/usr/./lib/../bin"))).isEqualTo(Path.of("/usr/bin"));
    }
}
