package dev.cordon.internal.seccomp;

/** A syscall policy text is wrong; the message starts with {@code SOURCE:LINE:COLUMN: }. */
public final class SyscallPolicyException extends IllegalArgumentException {
    public SyscallPolicyException(String source, int line, int column, String message) {
        super(source + ":" + line + ":" + column + ": " + message);
    }
}
