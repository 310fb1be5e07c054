/* Resource hog for limit tests: mem MiB | spread N MiB | cpu N | out MiB | file PATH MiB | forkbomb | sleep S. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void touch(long mib) {
    long n = mib << 20;
    volatile char *p = malloc(n);
    if (!p) { perror("malloc"); exit(3); }
    for (long i = 0; i < n; i += 4096) p[i] = 1;
}

int main(int argc, char **argv) {
    const char *op = argv[1];
    if (!strcmp(op, "mem")) { touch(atol(argv[2])); printf("touched %s MiB\n", argv[2]); return 0; }
    if (!strcmp(op, "spread")) {
        int n = atoi(argv[2]);
        long mib = atol(argv[3]);
        for (int i = 0; i < n; i++) if (fork() == 0) { touch(mib); pause(); _exit(0); }
        while (wait(NULL) > 0) {}
        return 0;
    }
    if (!strcmp(op, "cpu")) {
        int n = atoi(argv[2]);
        for (int i = 1; i < n; i++) if (fork() == 0) break;
        volatile unsigned long x = 0;
        for (;;) x++;
    }
    if (!strcmp(op, "out")) {
        static char buf[1 << 16];
        memset(buf, 'x', sizeof buf);
        long total = atol(argv[2]) << 20;
        for (long done = 0; done < total; done += sizeof buf) if (write(1, buf, sizeof buf) < 0) return 1;
        return 0;
    }
    if (!strcmp(op, "file")) {
        FILE *f = fopen(argv[2], "w");
        if (!f) { perror("fopen"); return 1; }
        static char buf[1 << 16];
        for (long done = 0; done < (atol(argv[3]) << 20); done += sizeof buf) fwrite(buf, 1, sizeof buf, f);
        return fclose(f) ? 1 : 0;
    }
    if (!strcmp(op, "forkbomb")) { for (;;) fork(); }
    if (!strcmp(op, "sleep")) { sleep(atoi(argv[2])); return 0; }
    return 2;
}
