package dev.cordon.internal.sys;

/** A system call failed. The message names the call and the errno: {@code openat: EACCES (Permission denied)}. */
public final class SyscallException extends RuntimeException {
    private final String call;
    private final int errno;

    public SyscallException(String call, int errno) {
        super(call + ": " + Errno.describe(errno));
        this.call = call;
        this.errno = errno;
    }

    public SyscallException(String call, String detail, int errno) {
        super(call + " " + detail + ": " + Errno.describe(errno));
        this.call = call;
        this.errno = errno;
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }
}
