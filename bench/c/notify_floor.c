/* notify_floor MODE PROGRAM ARGS...: runs PROGRAM with newfstatat, openat and (MODE "stat") or only newfstatat
 * notified to a minimal C supervisor that continues every call: the floor of a user-notification supervisor on
 * this machine, for comparison with Cordon's (README, "Speed"). MODE: "stat" (newfstatat only: the hidden-metadata
 * case), "all" (newfstatat and openat: the full-audit case), "read-all" (as "all", and each call's path read with
 * process_vm_readv and checked with ID_VALID, as any real decision must). Not part of bench/run. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: notify_floor stat|all|read-all PROGRAM ARGS...\n"); return 2; }
    int all = strcmp(argv[1], "stat") != 0, readpath = !strcmp(argv[1], "read-all");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) { perror("socketpair"); return 1; }
    pid_t child = fork();
    if (child == 0) {
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_newfstatat, 2, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, all ? SYS_openat : SYS_newfstatat, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        };
        struct sock_fprog prog = {sizeof f / sizeof f[0], f};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) _exit(126);
        int fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (fd < 0) _exit(126);
        char c = 0;
        struct iovec io = {&c, 1};
        char cbuf[CMSG_SPACE(sizeof(int))];
        struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        if (sendmsg(sv[1], &m, 0) != 1) _exit(126);
        close(fd); close(sv[0]); close(sv[1]);
        execv(argv[2], argv + 2);
        _exit(127);
    }
    close(sv[1]);
    char c; struct iovec io = {&c, 1};
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    if (recvmsg(sv[0], &m, 0) != 1) { fprintf(stderr, "no listener\n"); return 1; }
    int listener; memcpy(&listener, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
    __u64 flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags); /* Linux 6.6+; without it the round trip is slower */
    struct seccomp_notif req; struct seccomp_notif_resp resp; char path[4096];
    long calls = 0;
    for (;;) {
        memset(&req, 0, sizeof req);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req)) {
            if (errno == EINTR || errno == ENOENT) {
                int st; if (waitpid(child, &st, WNOHANG) == child) break;
                continue;
            }
            break;
        }
        calls++;
        if (readpath) {
            struct iovec local = {path, sizeof path}, remote = {(void *) req.data.args[1], sizeof path - (req.data.args[1] & 4095)};
            if (remote.iov_len > sizeof path) remote.iov_len = sizeof path;
            local.iov_len = remote.iov_len;
            process_vm_readv(req.pid, &local, 1, &remote, 1, 0);
            if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id)) continue;
        }
        memset(&resp, 0, sizeof resp);
        resp.id = req.id; resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
    int st; waitpid(child, &st, 0);
    fprintf(stderr, "notify_floor: %ld calls continued\n", calls);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
