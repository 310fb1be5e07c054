/* Attacks on hidden metadata. Usage: metaattack MODE ALLOWED_FILE SECRET_FILE WRITABLE_DIR SECRET_INODE
 * A probe "leaks" when it tells anything about the secret: a result with the secret's inode, or any answer but
 * ENOENT (EACCES, ENODATA, success all say it exists). Prints "LEAK: <probes>" or "HELD". Natively every
 * probe leaks. Mode "errnos PATH" prints what each metadata call answers for PATH. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static const char *allowed, *secret, *writable;
static unsigned long secret_ino;
static char *shared;
static const char *flip_a, *flip_b;
static atomic_int stop;
static char leaks[4096];

static void leak(const char *what) {
    if (strstr(leaks, what)) return;
    if (*leaks) strcat(leaks, " ");
    strcat(leaks, what);
}

/* A stat-like result: leaks if it succeeded on the secret, or failed with anything but ENOENT. */
static void judge(const char *what, int rc, const struct stat *st) {
    if (rc == 0 && st && st->st_ino == secret_ino) leak(what);
    else if (rc != 0 && errno != ENOENT) leak(what);
    else if (rc == 0 && !st) leak(what);
}

static void *flipper(void *arg) {
    (void) arg;
    while (!atomic_load(&stop)) {
        strcpy(shared, flip_a);
        strcpy(shared, flip_b);
    }
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void start_flip(const char *a, const char *b, pthread_t *t) {
    shared = calloc(1, 4096);
    flip_a = a; flip_b = b;
    strcpy(shared, a);
    pthread_create(t, NULL, flipper, NULL);
}

static void end_flip(pthread_t t) {
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
}

/* Every metadata read of PATH, judged. */
static void probe_all(const char *path, const char *prefix) {
    struct stat st;
    struct statx sx;
    char buf[4096], name[64];
    snprintf(name, sizeof name, "%sstat", prefix); judge(name, stat(path, &st), &st);
    snprintf(name, sizeof name, "%slstat", prefix); judge(name, lstat(path, &st), &st);
    snprintf(name, sizeof name, "%sstatx", prefix);
    int rc = statx(AT_FDCWD, path, 0, STATX_ALL, &sx);
    st.st_ino = sx.stx_ino; judge(name, rc, &st);
    snprintf(name, sizeof name, "%saccess", prefix); judge(name, access(path, F_OK), NULL);
    snprintf(name, sizeof name, "%sgetxattr", prefix); judge(name, getxattr(path, "user.x", buf, sizeof buf) < 0 ? -1 : 0, NULL);
    snprintf(name, sizeof name, "%slistxattr", prefix); judge(name, listxattr(path, buf, sizeof buf) < 0 ? -1 : 0, NULL);
    struct statfs sf;
    snprintf(name, sizeof name, "%sstatfs", prefix); judge(name, statfs(path, &sf), NULL);
    snprintf(name, sizeof name, "%sopath", prefix);
    int fd = open(path, O_PATH);
    if (fd >= 0) { judge(name, fstat(fd, &st), &st); close(fd); } else judge(name, -1, NULL);
}

static const char *err(long rc) {
    if (rc >= 0) return "OK";
    switch (errno) {
        case ENOENT: return "ENOENT";
        case EACCES: return "EACCES";
        case ENOTDIR: return "ENOTDIR";
        case EPERM: return "EPERM";
        case ENODATA: return "ENODATA";
        case EINVAL: return "EINVAL";
        default: return "other";
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 3 && !strcmp(argv[1], "errnos")) {
        const char *p = argv[2];
        struct stat st; struct statfs sf; char buf[256];
        printf("stat=%s ", err(stat(p, &st)));
        printf("lstat=%s ", err(lstat(p, &st)));
        printf("access=%s ", err(access(p, R_OK)));
        printf("readlink=%s ", err(readlink(p, buf, sizeof buf)));
        printf("getxattr=%s ", err(getxattr(p, "user.x", buf, sizeof buf)));
        printf("statfs=%s ", err(statfs(p, &sf)));
        printf("chmod=%s ", err(chmod(p, 0644)));
        int fd = open(p, O_PATH);
        printf("opath=%s ", err(fd));
        if (fd >= 0) close(fd);
        int in = inotify_init1(IN_CLOEXEC);
        printf("inotify=%s ", err(inotify_add_watch(in, p, IN_CREATE)));
        printf("chdir=%s\n", err(chdir(p)));
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "inotify")) {
        /* A watch on DIR, a file made in it, the event's name. */
        int in = inotify_init1(IN_CLOEXEC);
        if (inotify_add_watch(in, argv[2], IN_CREATE | IN_ONLYDIR) < 0) { printf("watch %s\n", err(-1)); return 0; }
        char path[4096], buf[4096] __attribute__((aligned(8)));
        snprintf(path, sizeof path, "%s/made", argv[2]);
        close(open(path, O_CREAT | O_WRONLY, 0644));
        if (read(in, buf, sizeof buf) <= 0) return 1;
        printf("event %s\n", ((struct inotify_event *) buf)->name);
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "procfd")) {
        /* Another process's descriptor PID/FD (a pipe) through its magic link: stat, readlink, O_PATH. */
        char p[128], buf[256];
        struct stat st;
        snprintf(p, sizeof p, "/proc/%s/fd/%s", argv[2], argv[3]);
        if (stat(p, &st) == 0) leak("stat");
        if (readlink(p, buf, sizeof buf) > 0) leak("readlink");
        int fd = open(p, O_PATH);
        if (fd >= 0) leak("opath");
        snprintf(p, sizeof p, "/proc/%s/root/", argv[2]);
        if (stat(p, &st) == 0) leak("root");
        if (*leaks) printf("LEAK: %s\n", leaks); else printf("HELD\n");
        return 0;
    }
    if (argc < 6) return 2;
    const char *mode = argv[1];
    allowed = argv[2]; secret = argv[3]; writable = argv[4];
    secret_ino = strtoul(argv[5], NULL, 10);
    char path[4096], dir[4096], sdir[4096], sbase[4096];
    snprintf(sdir, sizeof sdir, "%s", secret);
    snprintf(sbase, sizeof sbase, "%s", secret);
    const char *secret_dir = basename(dirname(sdir)), *secret_name = basename(sbase);
    if (!strcmp(mode, "stat-flip")) {
        /* Another thread rewrites the path between an allowed file and the secret while this one stats it. */
        pthread_t t;
        start_flip(allowed, secret, &t);
        double end = now() + 1.0;
        struct stat st;
        struct statx sx;
        while (now() < end) {
            if (stat(shared, &st) == 0 && st.st_ino == secret_ino) leak("stat");
            if (lstat(shared, &st) == 0 && st.st_ino == secret_ino) leak("lstat");
            if (statx(AT_FDCWD, shared, 0, STATX_INO, &sx) == 0 && sx.stx_ino == secret_ino) leak("statx");
        }
        end_flip(t);
    } else if (!strcmp(mode, "reuse")) {
        /* One buffer for an allowed path, then the secret, call after call: what the supervisor read for one call
         * must never answer the next. */
        static char buf[4096];
        struct stat st;
        for (int i = 0; i < 200; i++) {
            strcpy(buf, allowed);
            if (stat(buf, &st) != 0) leak("allowed-stat-failed");
            strcpy(buf, secret);
            judge("reuse-stat", stat(buf, &st), &st);
            judge("reuse-access", access(buf, F_OK), NULL);
        }
    } else if (!strcmp(mode, "symlink")) {
        /* A link in the writable directory to the secret: every read through it, and chmod. */
        snprintf(path, sizeof path, "%s/link", writable);
        symlink(secret, path);
        probe_all(path, "link-");
        struct stat st;
        if (lstat(path, &st) != 0) leak("lstat-of-link-failed"); /* the link itself is visible */
        if (chmod(path, 0777) == 0 || errno != ENOENT) leak("link-chmod");
        /* A hard link cannot be made to a file Landlock hides (refer right), so only the symbolic one. */
    } else if (!strcmp(mode, "dotdot")) {
        snprintf(dir, sizeof dir, "%s", allowed);
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
        snprintf(path, sizeof path, "../%s/%s", secret_dir, secret_name);
        struct stat st;
        judge("fstatat", fstatat(dfd, path, &st, 0), &st);
        judge("faccessat", faccessat(dfd, path, F_OK, 0), NULL);
        int fd = openat(dfd, path, O_PATH);
        if (fd >= 0) { judge("openat-opath", fstat(fd, &st), &st); } else judge("openat-opath", -1, NULL);
    } else if (!strcmp(mode, "proc")) {
        snprintf(path, sizeof path, "/proc/self/root%s", secret);
        probe_all(path, "root-");
        snprintf(path, sizeof path, "/proc/%d/root%s", getpid(), secret);
        probe_all(path, "pidroot-");
        snprintf(dir, sizeof dir, "%s", allowed);
        if (chdir(dirname(dir)) != 0) leak("chdir-allowed-failed");
        snprintf(path, sizeof path, "/proc/self/cwd/../%s/%s", secret_dir, secret_name);
        probe_all(path, "cwd-");
        snprintf(path, sizeof path, "/proc/thread-self/root%s", secret);
        probe_all(path, "threadroot-");
    } else if (!strcmp(mode, "chmod-flip")) {
        /* Another thread rewrites the path between a writable file and the secret while this one chmods it. */
        snprintf(path, sizeof path, "%s/own.txt", writable);
        close(open(path, O_CREAT | O_WRONLY, 0644));
        pthread_t t;
        start_flip(path, secret, &t);
        double end = now() + 1.0;
        while (now() < end) chmod(shared, 0600);
        end_flip(t);
        printf("DONE\n");
        return 0;
    } else {
        return 2;
    }
    if (*leaks) printf("LEAK: %s\n", leaks); else printf("HELD\n");
    return 0;
}
