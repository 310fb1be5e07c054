package dev.cordon.internal.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads of another process's memory (here our own, through process_vm_readv) in page-bounded chunks. */
class TraceeReadTest {
    private static final int PID = (int) ProcessHandle.current().pid();

    private static MemorySegment put(Arena arena, int offsetInPage, String s) {
        MemorySegment pages = arena.allocate(4 * 4096, 4096);
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(b, 0, pages, ValueLayout.JAVA_BYTE, offsetInPage, b.length);
        pages.set(ValueLayout.JAVA_BYTE, offsetInPage + b.length, (byte) 0);
        return pages.asSlice(offsetInPage);
    }

    @Test
    void stringsWithinAPageAndAcrossPagesAreReadWhole() {
        try (Arena arena = Arena.ofConfined()) {
            assertThat(Sys.readString(PID, put(arena, 100, "/usr/include/stdio.h").address(), 4096))
                    .isEqualTo("/usr/include/stdio.h");
            String across = "/é/" + "x".repeat(6000);
            assertThat(Sys.readString(PID, put(arena, 4090, across).address(), 8192)).isEqualTo(across);
            assertThat(Sys.readString(PID, put(arena, 4090, "").address(), 10)).isEmpty();
        }
    }

    @Test
    void stringsLongerThanTheLimitAndUnreadableAddressesGiveNull() {
        try (Arena arena = Arena.ofConfined()) {
            assertThat(Sys.readString(PID, put(arena, 4000, "y".repeat(300)).address(), 300)).isNull();
            assertThat(Sys.readString(PID, put(arena, 4000, "y".repeat(299)).address(), 300)).isEqualTo("y".repeat(299));
        }
        assertThat(Sys.readString(PID, 8, 100)).isNull();
        assertThat(Sys.readMemory(PID, 8, 16)).isEmpty();
    }

    @Test
    void pathsResolveAsOpenFollowsThem() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("resolve");
        try {
            java.nio.file.Path target = java.nio.file.Files.createDirectory(dir.resolve("real"));
            java.nio.file.Files.createSymbolicLink(dir.resolve("link"), target);
            java.nio.file.Path real = target.toRealPath();
            assertThat(Sys.resolvePath(dir.resolve("link").toString())).isEqualTo(new Sys.PathInfo(real.toString(), true));
            assertThat(Sys.resolvePath(dir + "/link/../real")).isEqualTo(new Sys.PathInfo(real.toString(), true));
            java.nio.file.Files.writeString(target.resolve("f"), "x");
            assertThat(Sys.resolvePath(dir + "/link/f")).isEqualTo(new Sys.PathInfo(real.resolve("f").toString(), false));
            assertThat(Sys.resolvePath(dir + "/missing")).isNull();
        } finally {
            try (var s = java.nio.file.Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
