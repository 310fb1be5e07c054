package dev.cordon.internal.supervise;

import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.SeccompNative;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;

/**
 * memfd_create, performed by the supervisor. Landlock does not govern files on internal mounts, so a
 * program could write any binary into a memfd and execute it past the execute rules. The supervisor
 * creates the memfd itself with MFD_NOEXEC_SEAL (Linux 6.3) and installs it in the program with
 * SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND: the program gets a working memfd that can never
 * be made executable. Sound without races: the decision rests on the flags, a plain register value;
 * the name read from the program's memory is only a label and decides nothing.
 */
public final class MemfdHandler {
    private MemfdHandler() {}

    private static final int NAME_MAX = 249; // MFD_NAME_MAX_LEN

    public static Decision handle(Notification n) {
        int flags = (int) n.args()[1];
        if ((flags & Sys.MFD_EXEC) != 0) return Decision.fail(Errno.EPERM);
        String name = Sys.readString(n.pid(), n.args()[0], NAME_MAX + 1);
        if (name == null) name = "memfd";
        int fd;
        try {
            fd = Sys.memfdCreate(name, flags | Sys.MFD_NOEXEC_SEAL);
        } catch (SyscallException e) {
            return Decision.fail(e.errno());
        }
        try {
            int newFdFlags = (flags & Sys.MFD_CLOEXEC) != 0 ? Sys.O_CLOEXEC : 0;
            SeccompNative.addFd(n.listener(), n.id(), fd, SeccompNative.ADDFD_FLAG_SEND, newFdFlags);
            return Decision.ANSWERED;
        } catch (SyscallException e) {
            // ENOENT: the program is gone or its call was interrupted; nothing to answer.
            return e.errno() == Errno.ENOENT ? Decision.ANSWERED : Decision.fail(e.errno());
        } finally {
            Sys.closeQuietly(fd);
        }
    }
}
