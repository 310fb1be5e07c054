package dev.cordon.internal.launch;

import dev.cordon.internal.landlock.PathModel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Says which file made an exec fail with EACCES under the policy: the program itself, the interpreter of
 * its {@code #!} line, or its ELF interpreter (each must be under an execute rule). {@link #explain} runs
 * after a failure; {@link #refusal} at every supervised exec, through {@link Allowed}. The kernel decides;
 * this only explains.
 */
final class ExecDiagnosis {
    private ExecDiagnosis() {}

    private static final int PT_INTERP = 3;

    /**
     * The supervisor asks {@link #refusal} at every exec, before the kernel decides, on the exec's path (two
     * file reads and several lookups: a good part of a short program's exec). This remembers, per run, the
     * programs found executable, by path and file identity (device, inode, modification time, size), so that
     * a program run again costs one stat. A stale entry (its interpreter moved out of the execute rules since)
     * can only lose an explanation: Landlock decides the exec. Refusals are not remembered.
     */
    static final class Allowed {
        private static final int MAX = 1024;

        private record Key(Path path, Object fileKey, long modifiedNanos, long size) {}

        private final java.util.Set<Key> known = java.util.concurrent.ConcurrentHashMap.newKeySet();

        Optional<String> refusal(Path program, PathModel rules) {
            java.nio.file.attribute.BasicFileAttributes a;
            try {
                a = Files.readAttributes(program, java.nio.file.attribute.BasicFileAttributes.class);
            } catch (IOException | RuntimeException e) {
                return Optional.empty(); // missing: not refused by the rules (the exec fails with ENOENT)
            }
            if (a.fileKey() == null) return ExecDiagnosis.refusal(program, rules);
            Key k = new Key(program, a.fileKey(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS),
                    a.size());
            if (known.contains(k)) return Optional.empty();
            Optional<String> why = ExecDiagnosis.refusal(program, rules);
            if (why.isEmpty() && known.size() < MAX) known.add(k);
            return why;
        }
    }

    static String explain(Path program, PathModel rules) {
        return refusal(program, rules).orElse(
                "a file it needs to start is not under an execute rule, or the working directory is not readable");
    }

    /** Why executing an existing {@code program} is refused by the execute rules, or empty if it is not. */
    static Optional<String> refusal(Path program, PathModel rules) {
        if (!Files.exists(program)) return Optional.empty();
        if (!executable(program, rules)) {
            return Optional.of("it is not under an execute rule (--exec)");
        }
        Optional<Path> script = shebang(program);
        if (script.isPresent()) {
            if (Files.exists(script.get()) && !executable(script.get(), rules)) {
                return Optional.of("its interpreter " + script.get() + " (from its #! line) is not under an execute rule");
            }
            program = script.get();
        }
        Optional<Path> interp = elfInterpreter(program);
        if (interp.isPresent() && Files.exists(interp.get()) && !executable(interp.get(), rules)) {
            return Optional.of("its ELF interpreter " + interp.get() + " is not under an execute rule");
        }
        return Optional.empty();
    }

    /** Whether Landlock's view (real paths) puts an existing {@code file} beneath an execute rule. */
    static boolean executable(Path file, PathModel rules) {
        return rules.refusal(file, PathModel.EXECUTE).isEmpty();
    }

    static Optional<Path> shebang(Path program) {
        try (InputStream in = Files.newInputStream(program)) {
            byte[] head = in.readNBytes(256);
            if (head.length < 3 || head[0] != '#' || head[1] != '!') return Optional.empty();
            String line = new String(head, 2, head.length - 2, StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
            String interpreter = line.split("\\s+")[0];
            return interpreter.startsWith("/") ? Optional.of(Path.of(interpreter)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The PT_INTERP path of a 64-bit ELF file, if it has one. */
    static Optional<Path> elfInterpreter(Path program) {
        try (FileChannel ch = FileChannel.open(program)) {
            ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(h, 0) < 64 || h.getInt(0) != 0x464c457f || h.get(4) != 2) return Optional.empty();
            long phoff = h.getLong(0x20);
            int phentsize = Short.toUnsignedInt(h.getShort(0x36));
            int phnum = Short.toUnsignedInt(h.getShort(0x38));
            ByteBuffer ph = ByteBuffer.allocate(phentsize).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < phnum && i < 256; i++) {
                ph.clear();
                if (ch.read(ph, phoff + (long) i * phentsize) < 0x28) return Optional.empty();
                if (ph.getInt(0) != PT_INTERP) continue;
                long offset = ph.getLong(0x08);
                int size = (int) Math.min(ph.getLong(0x20), 4096);
                ByteBuffer s = ByteBuffer.allocate(size);
                ch.read(s, offset);
                String path = new String(s.array(), 0, size, StandardCharsets.UTF_8);
                int nul = path.indexOf('\0');
                return Optional.of(Path.of(nul >= 0 ? path.substring(0, nul) : path));
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
