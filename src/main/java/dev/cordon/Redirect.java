package dev.cordon;

import java.nio.file.Path;

/**
 * Where one of the program's standard streams goes. Files named here are opened by Cordon with the
 * caller's rights, as a shell opens redirections, not by the sandboxed program.
 */
public sealed interface Redirect {
    /** The caller's own descriptor. */
    record Inherit() implements Redirect {}

    /** A pipe to the caller: {@link SandboxProcess#stdin()}, {@link SandboxProcess#stdout()}, ... */
    record Pipe() implements Redirect {}

    /** /dev/null. */
    record Discard() implements Redirect {}

    /** Standard input only: these bytes, then end of file (written by Cordon through a pipe). */
    record Bytes(byte[] data) implements Redirect {
        public Bytes {
            data = data.clone();
        }
    }

    /** Standard input from a string (UTF-8). */
    static Redirect fromString(String text) {
        return new Bytes(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A file: read for stdin; created or truncated (or appended to) for output. */
    record File(Path path, boolean append) implements Redirect {}

    Redirect INHERIT = new Inherit();
    Redirect PIPE = new Pipe();
    Redirect DISCARD = new Discard();

    static Redirect file(Path path) {
        return new File(path, false);
    }

    static Redirect appendTo(Path path) {
        return new File(path, true);
    }
}
