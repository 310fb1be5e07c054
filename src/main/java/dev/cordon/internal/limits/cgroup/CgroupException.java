package dev.cordon.internal.limits.cgroup;

/** A cgroup operation failed; the message says what, where, and what the user can do about it. */
public final class CgroupException extends RuntimeException {
    public CgroupException(String message) {
        super(message);
    }

    public CgroupException(String message, Throwable cause) {
        super(message, cause);
    }
}
