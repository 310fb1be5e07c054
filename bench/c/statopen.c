/* statopen LISTFILE N: stat+open+close the files named in LISTFILE (one per line), round-robin, N times. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: statopen LISTFILE N\n"); return 2; }
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
    long n = atol(argv[2]), failed = 0;
    for (long i = 0; i < n; i++) {
        const char *p = names[i % count];
        struct stat st;
        if (stat(p, &st) != 0) { failed++; continue; }
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) { failed++; continue; }
        close(fd);
    }
    if (failed) { fprintf(stderr, "%ld of %ld failed\n", failed, n); return 1; }
    return 0;
}
