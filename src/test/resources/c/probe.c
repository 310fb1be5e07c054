/* Test probe: performs one operation and prints "OK" (plus data) or the errno name of the failure.
 * Built statically at test time, so that a policy can allow exactly this one executable. Run natively
 * too, to show that every operation the sandbox denies does succeed without it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static int fail(void) { printf("%s\n", strerrorname_np(errno)); return 1; }
static int ok(void) { printf("OK\n"); return 0; }
static int check(long r) { return r < 0 ? fail() : ok(); }

static int tcp(const char *op, int port, int fastopen) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return fail();
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!strcmp(op, "bind")) return check(bind(s, (struct sockaddr *)&a, sizeof a));
    if (fastopen) return check(sendto(s, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof a));
    return check(connect(s, (struct sockaddr *)&a, sizeof a));
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: probe OP [ARGS]\n"); return 2; }
    const char *op = argv[1];
    char *a = argc > 2 ? argv[2] : NULL, *b = argc > 3 ? argv[3] : NULL;
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(op, "ok")) return ok();
    if (!strcmp(op, "read")) {
        int fd = open(a, O_RDONLY);
        if (fd < 0) return fail();
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) return fail();
        printf("OK\n");
        fwrite(buf, 1, n, stdout);
        return 0;
    }
    if (!strcmp(op, "list")) {
        DIR *d = opendir(a);
        if (!d) return fail();
        errno = 0;
        int n = 0;
        while (readdir(d)) n++;
        if (errno) return fail();
        printf("OK\n%d\n", n);
        return 0;
    }
    if (!strcmp(op, "write")) {
        int fd = open(a, O_WRONLY | O_TRUNC);
        if (fd < 0) return fail();
        return check(write(fd, "written\n", 8));
    }
    if (!strcmp(op, "create")) return check(open(a, O_WRONLY | O_CREAT | O_EXCL, 0644));
    if (!strcmp(op, "mkdir")) return check(mkdir(a, 0755));
    if (!strcmp(op, "rmdir")) return check(rmdir(a));
    if (!strcmp(op, "unlink")) return check(unlink(a));
    if (!strcmp(op, "rename")) return check(rename(a, b));
    if (!strcmp(op, "link")) return check(link(a, b));
    if (!strcmp(op, "symlink")) return check(symlink(a, b));
    if (!strcmp(op, "truncate")) return check(truncate(a, 0));
    if (!strcmp(op, "mkfifo")) return check(mkfifo(a, 0644));
    if (!strcmp(op, "stat")) { struct stat st; return check(stat(a, &st)); }
    if (!strcmp(op, "chmod")) return check(chmod(a, strtol(b, NULL, 8)));
    if (!strcmp(op, "fchmod")) {
        int fd = open(a, O_RDONLY);
        if (fd < 0) return fail();
        return check(fchmod(fd, strtol(b, NULL, 8)));
    }
    if (!strcmp(op, "utime")) return check(utimensat(AT_FDCWD, a, NULL, 0));
    if (!strcmp(op, "setxattr")) return check(setxattr(a, "user.cordon", "x", 1, 0));
    if (!strcmp(op, "exec")) { execv(a, argv + 2); return fail(); }
    if (!strcmp(op, "connect") || !strcmp(op, "bind")) return tcp(op, atoi(a), 0);
    if (!strcmp(op, "fastopen")) return tcp("connect", atoi(a), 1);
    if (!strcmp(op, "socket")) {
        int domain = !strcmp(a, "unix") ? AF_UNIX : !strcmp(a, "inet") ? AF_INET : !strcmp(a, "inet6") ? AF_INET6
                   : !strcmp(a, "netlink") ? AF_NETLINK : !strcmp(a, "packet") ? AF_PACKET : atoi(a);
        int type = !strcmp(b, "stream") ? SOCK_STREAM : !strcmp(b, "dgram") ? SOCK_DGRAM : !strcmp(b, "raw") ? SOCK_RAW : atoi(b);
        int proto = argc > 4 ? atoi(argv[4]) : 0;
        return check(socket(domain, type, proto));
    }
    if (!strcmp(op, "socketpair")) {
        int sv[2];
        return check(socketpair(!strcmp(a, "unix") ? AF_UNIX : atoi(a), SOCK_STREAM, 0, sv));
    }
    if (!strcmp(op, "fds")) {
        DIR *d = opendir("/proc/self/fd");
        if (!d) return fail();
        int self = dirfd(d);
        struct dirent *e;
        printf("OK\n");
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' || atoi(e->d_name) == self) continue;
            printf("%s ", e->d_name);
        }
        printf("\n");
        return 0;
    }
    if (!strcmp(op, "creds")) {
        printf("OK\nuid=%d euid=%d gid=%d egid=%d groups=%d\n", getuid(), geteuid(), getgid(), getegid(),
               getgroups(0, NULL));
        printf("session-leader=%s\n", getsid(0) == getpid() ? "yes" : "no");
        FILE *f = fopen("/proc/self/status", "r");
        if (!f) return 0;
        char line[256];
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10) || !strncmp(line, "Seccomp:", 8)
                || !strncmp(line, "SigBlk", 6) || !strncmp(line, "SigIgn", 6)) {
                fputs(line, stdout);
            }
        }
        return 0;
    }
    if (!strcmp(op, "syscall")) {
        long args[6] = {0};
        for (int i = 0; i < 6 && i + 3 < argc; i++) args[i] = strtol(argv[i + 3], NULL, 0);
        return check(syscall(strtol(a, NULL, 0), args[0], args[1], args[2], args[3], args[4], args[5]));
    }
#ifdef __x86_64__
    if (!strcmp(op, "int80")) {
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory"); /* i386 getpid */
        printf("OK\n%ld\n", r);
        return 0;
    }
#endif
    if (!strcmp(op, "kill")) return check(kill(atoi(a), atoi(b)));
    if (!strcmp(op, "memfd")) {
        /* An ordinary use: create, write, read back. a = flags. */
        int mem = memfd_create("data", a ? strtol(a, NULL, 0) : MFD_CLOEXEC);
        if (mem < 0) return fail();
        if (write(mem, "hello", 5) != 5 || lseek(mem, 0, SEEK_SET) != 0) return fail();
        char buf[8] = {0};
        if (read(mem, buf, 5) != 5) return fail();
        printf("OK\n%s cloexec=%d\n", buf, (fcntl(mem, F_GETFD) & FD_CLOEXEC) ? 1 : 0);
        return 0;
    }
    if (!strcmp(op, "memfdexec")) {
        int in = open("/proc/self/exe", O_RDONLY);
        if (in < 0) return fail();
        int mem = memfd_create("copy", 0);
        if (mem < 0) return fail();
        char buf[65536];
        ssize_t n;
        while ((n = read(in, buf, sizeof buf)) > 0) if (write(mem, buf, n) != n) return fail();
        char *args[] = {"probe", "ok", NULL};
        syscall(SYS_execveat, mem, "", args, environ, AT_EMPTY_PATH);
        return fail();
    }
    if (!strcmp(op, "escape")) {
        /* Double fork; the grandchild leaves the session and sleeps. Prints its pid. */
        int p[2];
        if (pipe(p) < 0) return fail();
        pid_t c = fork();
        if (c < 0) return fail();
        if (c == 0) {
            pid_t g = fork();
            if (g == 0) {
                setsid();
                close(p[0]);
                pid_t me = getpid();
                write(p[1], &me, sizeof me);
                close(p[1]);
                for (;;) pause();
            }
            _exit(0);
        }
        close(p[1]);
        pid_t g;
        if (read(p[0], &g, sizeof g) != sizeof g) return fail();
        waitpid(c, NULL, 0);
        printf("OK\n%d\n", g);
        return 0;
    }
    fprintf(stderr, "probe: unknown operation %s\n", op);
    return 2;
}
