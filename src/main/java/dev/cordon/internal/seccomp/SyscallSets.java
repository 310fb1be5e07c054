package dev.cordon.internal.seccomp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The syscall sets a policy can name ({@code allow @compute}). Each set is written in the policy syntax
 * itself, one entry per line: a syscall name, optionally with {@code if} conditions. Names the running
 * architecture's table does not have (arch_prctl, open, stat on aarch64) are skipped.
 *
 * <p>A set only grants what its entries say; the mandatory filter still applies on top (a set that names
 * {@code socket} does not open the network, and {@code clone} never creates namespaces).
 */
public final class SyscallSets {
    private SyscallSets() {}

    /**
     * What a static or dynamic C, C++, Python, Java or Go program needs to start, read stdin, write stdout
     * and stderr, and exit: seccomp strict mode made usable for real, dynamically linked programs. Files
     * may be opened read-only (to load the program's libraries; Landlock decides which files), threads
     * may be created (clone with CLONE_THREAD) but not processes, and exec is not in the set (the
     * sandbox's held first exec is allowed by the supervisor whatever the policy says).
     */
    static final String COMPUTE = """
            read, write, readv, writev, pread64, preadv, close, lseek
            fstat, newfstatat, stat, lstat, statx, fstatfs, statfs
            mmap, mprotect, munmap, brk, madvise, mremap, msync, mincore, membarrier
            rt_sigaction, rt_sigprocmask, rt_sigreturn, rt_sigtimedwait, rt_sigsuspend, rt_sigpending, sigaltstack
            restart_syscall, exit, exit_group, futex, set_tid_address, set_robust_list, get_robust_list, rseq
            prlimit64, getrlimit, getrusage, getrandom, arch_prctl, uname, sysinfo, times
            clock_gettime, clock_getres, gettimeofday, time, clock_nanosleep, nanosleep
            gettid, getpid, getppid, getuid, geteuid, getgid, getegid, getresuid, getresgid, getgroups, getpgrp
            sched_yield, sched_getaffinity, sched_getparam, sched_getscheduler, sched_get_priority_max
            sched_get_priority_min, get_mempolicy
            tgkill, tkill
            epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, eventfd2, pipe2, poll, ppoll, select, pselect6
            fcntl, dup, dup3, getcwd, readlink, readlinkat, access, faccessat, faccessat2, getdents64, umask
            # terminal queries only: TCGETS (isatty), TIOCGWINSZ, FIONREAD, FIOCLEX
            ioctl if arg1 == 0x5401
            ioctl if arg1 == 0x5413
            ioctl if arg1 == 0x541b
            ioctl if arg1 == 0x5451
            # read-only opens, no O_CREAT: loading libraries, /proc/self (the JVM); Landlock decides which files
            openat if arg2 & 0103 == 0
            open if arg1 & 0103 == 0
            # threads (CLONE_THREAD), never processes
            clone if arg0 & 0x10000 == 0x10000
            # PR_SET_NAME, PR_GET_NAME (thread names)
            prctl if arg0 == 15
            prctl if arg0 == 16
            """;

    /** Reading and writing files, directories and links, beyond compute; Landlock still decides which. */
    static final String FILE_IO = """
            open, openat, openat2, creat, close, close_range, read, write, readv, writev, pread64, pwrite64
            preadv, pwritev, preadv2, pwritev2, lseek, sendfile, copy_file_range, splice, tee
            fstat, newfstatat, stat, lstat, statx, statfs, fstatfs, getdents, getdents64
            mkdir, mkdirat, rmdir, unlink, unlinkat, rename, renameat, renameat2, link, linkat, symlink, symlinkat
            readlink, readlinkat, truncate, ftruncate, fsync, fdatasync, sync_file_range, fallocate, fadvise64
            chmod, fchmod, fchmodat, chown, fchown, lchown, fchownat, utimensat, utimes, utime, futimesat
            access, faccessat, faccessat2, chdir, fchdir, getcwd, fcntl, dup, dup2, dup3, flock, umask
            getxattr, lgetxattr, fgetxattr, listxattr, llistxattr, flistxattr
            """;

    /** Creating, replacing, waiting for and signalling processes: what a shell or a build tool needs. */
    static final String PROCESS = """
            fork, vfork, clone, clone3, execve, execveat, wait4, waitid, exit, exit_group
            kill, tgkill, tkill, rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_open, pidfd_send_signal
            setpgid, getpgid, getpgrp, setsid, getsid, getppid, getpid, gettid, pipe, pipe2, prctl
            rt_sigsuspend, pause, set_tid_address, set_robust_list
            """;

    /** Sockets: creating, connecting, accepting, sending, receiving; the mandatory filter and the TCP rules still decide which. */
    static final String NETWORK = """
            socket, socketpair, connect, bind, listen, accept, accept4, shutdown
            getsockname, getpeername, setsockopt, getsockopt
            sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg
            poll, ppoll, select, pselect6, epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait
            """;

    /** The sets by name (without the {@code @}), each as policy text. */
    static final Map<String, String> SETS = sets();

    private static Map<String, String> sets() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("compute", COMPUTE);
        m.put("file-io", FILE_IO);
        m.put("process", PROCESS);
        m.put("network", NETWORK);
        // The sandbox's mandatory deny set (SandboxFilter.DENIED): refused with EPERM whatever the policy; a
        // policy can name it to make the refusal stricter, e.g. "kill @default-deny".
        List<String> denied = new ArrayList<>();
        for (SandboxFilter.Group g : SandboxFilter.DENIED) denied.addAll(g.syscalls());
        m.put("default-deny", String.join(", ", denied));
        return Map.copyOf(m);
    }

    /** The names a policy may use, with their {@code @}. */
    public static List<String> names() {
        return List.of("@compute", "@file-io", "@process", "@network", "@default-deny");
    }
}
