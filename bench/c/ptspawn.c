/*
 * ptspawn MODE PROGRAM ARGS...: the floor under Cordon's ptrace guard, for measurement only (not part of the
 * product). Forks PROGRAM, seizes it with the guard's options (TRACEFORK|VFORK|CLONE|EXEC|EXITKILL, plus
 * TRACESECCOMP|TRACESYSGOOD with MODE engine) and resumes every stop at once. MODE:
 *   bare    waitpid(-1, __WALL) and PTRACE_CONT: the kernel's stops and nothing else
 *   cordon  what Cordon's tracer did per stop before issue #8: waitid(P_ALL, WNOWAIT) to peek, waitid(P_PID) to
 *           consume, GETEVENTMSG at fork and exec events, readlink /proc/PID/exe and read /proc/PID/cmdline at
 *           each exec, read /proc/TID/status for a new tracee whose first stop came before its parent's event
 *   notrace PROGRAM not traced at all (fork+exec+wait in this driver: the same shape without ptrace)
 *   notify  as bare, and every execve also goes to a seccomp user-notification listener (a second thread
 *           here) that answers CONTINUE: the round trip Cordon's default engine makes at every exec
 *   hold    not traced by this driver: prints PROGRAM's pid, and releases it when a byte arrives on stdin (for
 *           a tracer in another process, e.g. Cordon's Tracer, to seize it first)
 * Prints nothing; exits with PROGRAM's status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[65536];

/* The child's filter: execve to the listener, everything else allowed (x86_64 only; measurement only). */
static int install_listener(void) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return -1;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static void *answer(void *arg) {
    int fd = (int) (long) arg;
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    for (;;) {
        memset(&req, 0, sizeof req);
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req)) {
            if (errno == EINTR) continue;
            return NULL; /* ENOENT/EBADF: the tree is gone */
        }
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
}

static void readfile(const char *fmt, int pid) {
    char path[64];
    snprintf(path, sizeof path, fmt, pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    while (read(fd, buf, sizeof buf) > 0) { }
    close(fd);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: ptspawn bare|cordon|engine|notify|notrace|hold PROGRAM ARGS...\n"); return 2; }
    const char *mode = argv[1];
    int pipefd[2];
    if (pipe(pipefd)) { perror("pipe"); return 1; }
    int notify = !strcmp(argv[1], "notify");
    int fdpipe[2];
    if (pipe(fdpipe)) return 1;
    pid_t root = fork();
    if (root < 0) { perror("fork"); return 1; }
    if (root == 0) {
        char c;
        close(pipefd[1]);
        if (notify) {
            int l = install_listener();
            if (l < 0 || write(fdpipe[1], &l, sizeof l) != sizeof l) _exit(125);
        }
        if (read(pipefd[0], &c, 1) != 1) _exit(126);
        execv(argv[2], argv + 2);
        _exit(127);
    }
    close(pipefd[0]);
    if (notify) {
        int l;
        if (read(fdpipe[0], &l, sizeof l) != sizeof l) { fprintf(stderr, "no listener\n"); return 1; }
        int pidfd = syscall(SYS_pidfd_open, root, 0);
        int fd = syscall(SYS_pidfd_getfd, pidfd, l, 0);
        if (fd < 0) { perror("pidfd_getfd"); return 1; }
        pthread_t t;
        pthread_create(&t, NULL, answer, (void *) (long) fd);
    }
    int cordon = !strcmp(mode, "cordon");
    if (!strcmp(mode, "hold")) {
        char c;
        printf("%d\n", root);
        fflush(stdout);
        if (read(0, &c, 1) != 1) return 1;
    } else if (strcmp(mode, "notrace")) {
        long opts = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC
                | PTRACE_O_EXITKILL;
        if (!strcmp(mode, "engine")) opts |= PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD;
        if (ptrace(PTRACE_SEIZE, root, 0, opts)) { perror("PTRACE_SEIZE"); return 1; }
    }
    if (write(pipefd[1], "x", 1) != 1) return 1;
    close(pipefd[1]);
    if (!strcmp(mode, "notrace") || !strcmp(mode, "hold")) {
        int st;
        waitpid(root, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    }
    int result = 1, live = 1;
    while (live > 0) {
        int pid, status;
        if (cordon) {
            siginfo_t si = {0};
            if (waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | __WALL | __WNOTHREAD | WNOWAIT)) {
                if (errno == EINTR) continue;
                break;
            }
            pid = si.si_pid;
            if (si.si_code == CLD_TRAPPED || si.si_code == CLD_STOPPED) {
                siginfo_t s2 = {0};
                waitid(P_PID, pid, &s2, WSTOPPED | __WALL | __WNOTHREAD | WNOHANG);
                status = (s2.si_status << 8) | 0x7f;
            } else {
                siginfo_t s2 = {0};
                waitid(P_PID, pid, &s2, WEXITED | __WALL | __WNOTHREAD | WNOHANG);
                status = si.si_code == CLD_EXITED ? (si.si_status << 8) : si.si_status;
            }
        } else {
            pid = waitpid(-1, &status, __WALL);
            if (pid < 0) {
                if (errno == EINTR) continue;
                break;
            }
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (pid == root) result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            live--;
            continue;
        }
        int sig = WSTOPSIG(status) & 0x7f, event = (status >> 16) & 0xff;
        if (cordon) sig = status >> 8 & 0xff, event = status >> 16 & 0xff;
        unsigned long msg;
        if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
            live++;
            if (cordon) ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
            ptrace(PTRACE_CONT, pid, 0, 0);
        } else if (event == PTRACE_EVENT_EXEC) {
            if (cordon) {
                ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/exe", pid);
                readlink(path, buf, sizeof buf);
                readfile("/proc/%d/cmdline", pid);
            }
            ptrace(PTRACE_CONT, pid, 0, 0);
        } else if (event == PTRACE_EVENT_STOP) {
            if (cordon && pid != root) readfile("/proc/%d/status", pid); /* upper bound: as if always early */
            if (sig == SIGTRAP) ptrace(PTRACE_CONT, pid, 0, 0);
            else ptrace(PTRACE_LISTEN, pid, 0, 0);
        } else if (event) {
            ptrace(PTRACE_CONT, pid, 0, 0);
        } else {
            ptrace(PTRACE_CONT, pid, 0, sig == (SIGTRAP | 0x80) ? 0 : sig);
        }
    }
    if (getenv("PTSPAWN_CPU")) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr, "tracer_cpu_s=%.6f\n", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    }
    return result;
}
