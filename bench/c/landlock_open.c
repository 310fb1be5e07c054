/* landlock_open LISTFILE N MODE [RULE_DIR]: open+close the files named in LISTFILE, round-robin, N times, and print
 * the time. MODE: none (no Landlock), landlock (every filesystem right of ABI 6 handled, read and execute granted
 * beneath RULE_DIR, default /usr), landlock-notrunc (the same without the truncate right handled). A measurement
 * of Landlock's own cost per open, not part of bench/run; see README, "Speed". */
#define _GNU_SOURCE
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: landlock_open LISTFILE N none|landlock|landlock-notrunc [RULE_DIR]\n"); return 2; }
    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 1; }
    char **names = NULL; size_t count = 0, cap = 0; char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!*line) continue;
        if (count == cap) { cap = cap ? cap * 2 : 1024; names = realloc(names, cap * sizeof *names); }
        names[count++] = strdup(line);
    }
    fclose(f);
    if (!count) { fprintf(stderr, "no files\n"); return 1; }
    long n = atol(argv[2]);
    const char *mode = argv[3];
    if (strcmp(mode, "none") != 0) {
        __u64 handled = (1ULL << 16) - 1; /* ABI 6: 16 filesystem rights, the truncate right is bit 14 */
        if (!strcmp(mode, "landlock-notrunc")) handled &= ~(1ULL << 14);
        struct landlock_ruleset_attr attr = {.handled_access_fs = handled};
        int rs = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
        if (rs < 0) { perror("landlock_create_ruleset"); return 1; }
        struct landlock_path_beneath_attr rule = {
            .allowed_access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_EXECUTE,
            .parent_fd = open(argc > 4 ? argv[4] : "/usr", O_PATH | O_CLOEXEC)};
        if (syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &rule, 0)) { perror("landlock_add_rule"); return 1; }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_landlock_restrict_self, rs, 0)) {
            perror("landlock_restrict_self");
            return 1;
        }
    }
    double t = now();
    for (long i = 0; i < n; i++) {
        int fd = open(names[i % count], O_RDONLY | O_CLOEXEC);
        if (fd < 0) { perror(names[i % count]); return 1; }
        close(fd);
    }
    printf("%s: %.3f s\n", mode, now() - t);
    return 0;
}
