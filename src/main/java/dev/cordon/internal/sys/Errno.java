package dev.cordon.internal.sys;

/** errno values the code tests for, and names for any errno (from the generated {@link ErrnoNames}). */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int ENOSYS = 38;
    public static final int ENOEXEC = 8;
    public static final int EOPNOTSUPP = 95;
    public static final int EBADF = 9;
    public static final int EFAULT = 14;
    public static final int E2BIG = 7;
    public static final int ERANGE = 34;
    public static final int ENAMETOOLONG = 36;
    public static final int ELOOP = 40;
    public static final int EAFNOSUPPORT = 97;

    /** The symbol for an errno, e.g. {@code EACCES}; {@code errno 1234} if unknown. */
    public static String name(int errno) {
        String name = errno > 0 && errno < ErrnoNames.NAMES.length ? ErrnoNames.NAMES[errno] : null;
        return name != null ? name : "errno " + errno;
    }

    /** {@code EACCES (Permission denied)}. */
    public static String describe(int errno) {
        return name(errno) + " (" + Native.strerror(errno) + ")";
    }

    /** The errno for a symbol such as {@code EACCES}, or -1. */
    public static int byName(String name) {
        for (int i = 0; i < ErrnoNames.NAMES.length; i++) {
            if (name.equals(ErrnoNames.NAMES[i])) return i;
        }
        return -1;
    }
}
