/* writer FD N: write(FD, N bytes of 'x'), then report on stdout: OK or the errno name (seed 001's example). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int fd = atoi(argv[1]);
    size_t n = (size_t) atol(argv[2]);
    char *buf = malloc(n + 1);
    memset(buf, 'x', n);
    ssize_t r = write(fd, buf, n);
    const char *res = r >= 0 ? "OK" : errno == EBADF ? "EBADF" : errno == EPERM ? "EPERM" : "OTHER";
    char line[32];
    int len = snprintf(line, sizeof line, "\n%s\n", res);
    if (write(1, line, (size_t) len) < 0) return 3;
    return r >= 0 ? 0 : 1;
}
