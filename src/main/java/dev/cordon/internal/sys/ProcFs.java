package dev.cordon.internal.sys;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads files under /proc. Not with {@code Files.readString}: it sizes its read from the file's reported
 * length and returns "4" for a /proc/sys file holding "40" (seen with JDK 25); a stream read is exact.
 */
public final class ProcFs {
    private ProcFs() {}

    public static String read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
