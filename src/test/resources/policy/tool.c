/* A dynamically linked program for the profile tests: one action, then its outcome ("OK" or an errno name). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int outcome(int ok) {
    if (ok) { puts("OK"); return 0; }
    puts(errno == EACCES ? "EACCES" : errno == EPERM ? "EPERM" : errno == ENOENT ? "ENOENT" : strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "compute")) {
        long s = 0;
        for (long i = 1; i <= 1000000; i++) s += i % 7;
        printf("computed %ld\n", s);
        return 0;
    }
    if (!strcmp(argv[1], "read") && argc > 2) return outcome(open(argv[2], O_RDONLY) >= 0);
    if (!strcmp(argv[1], "write") && argc > 2) return outcome(open(argv[2], O_WRONLY | O_CREAT, 0644) >= 0);
    if (!strcmp(argv[1], "socket")) return outcome(socket(AF_INET, SOCK_STREAM, 0) >= 0);
    return 2;
}
