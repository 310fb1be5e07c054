package dev.cordon.internal.learn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The files the kernel itself opens for execution when a program is executed: the interpreter of a {@code #!}
 * script and the ELF interpreter (PT_INTERP) of a dynamically linked executable. Landlock requires the execute
 * right on them, yet the program never names them in a call.
 */
final class Interpreters {
    private Interpreters() {}

    private static final int PT_INTERP = 3;

    /** The interpreter a {@code #!} line names, or null. */
    static Path script(Path file) {
        ByteBuffer b = head(file, 0, 256);
        if (b == null || b.remaining() < 3 || b.get(0) != '#' || b.get(1) != '!') return null;
        String line = StandardCharsets.ISO_8859_1.decode(b.position(2)).toString();
        int nl = line.indexOf('\n');
        if (nl >= 0) line = line.substring(0, nl);
        String[] words = line.strip().split("[ \t]+");
        return words.length == 0 || !words[0].startsWith("/") ? null : Path.of(words[0]);
    }

    /** The ELF interpreter of a 64- or 32-bit little-endian ELF file, or null. */
    static Path elf(Path file) {
        ByteBuffer h = head(file, 0, 64);
        if (h == null || h.remaining() < 52) return null;
        h.order(ByteOrder.LITTLE_ENDIAN);
        if (h.getInt(0) != 0x464c457f) return null; // "\177ELF"
        boolean wide = h.get(4) == 2;
        if (h.get(5) != 1) return null; // big-endian: not on the architectures Cordon runs on
        long phoff = wide ? h.getLong(32) : h.getInt(28) & 0xffffffffL;
        int phentsize = h.getShort(wide ? 54 : 42) & 0xffff;
        int phnum = h.getShort(wide ? 56 : 44) & 0xffff;
        if (phnum == 0 || phnum > 256 || phentsize < (wide ? 56 : 32)) return null;
        ByteBuffer ph = head(file, phoff, phentsize * phnum);
        if (ph == null || ph.remaining() < phentsize * phnum) return null;
        ph.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < phnum; i++) {
            int at = i * phentsize;
            if (ph.getInt(at) != PT_INTERP) continue;
            long off = wide ? ph.getLong(at + 8) : ph.getInt(at + 4) & 0xffffffffL;
            long size = wide ? ph.getLong(at + 32) : ph.getInt(at + 16) & 0xffffffffL;
            if (size <= 1 || size > 4096) return null;
            ByteBuffer name = head(file, off, (int) size);
            if (name == null || name.remaining() < size) return null;
            String s = StandardCharsets.ISO_8859_1.decode(name.limit((int) size - 1)).toString();
            return s.startsWith("/") ? Path.of(s) : null;
        }
        return null;
    }

    private static ByteBuffer head(Path file, long offset, int size) {
        // Never a FIFO or a device: opening one could block the supervisor thread.
        if (!java.nio.file.Files.isRegularFile(file)) return null;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(size);
            while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {
                // reading on
            }
            return b.flip();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
