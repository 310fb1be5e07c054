/* writes FILE N: N small (16-byte) write() calls to FILE, unbuffered. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: writes FILE N\n"); return 2; }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { perror(argv[1]); return 1; }
    long n = atol(argv[2]);
    static const char buf[16] = "0123456789abcde\n";
    for (long i = 0; i < n; i++) if (write(fd, buf, sizeof buf) != sizeof buf) { perror("write"); return 1; }
    close(fd);
    unlink(argv[1]);
    return 0;
}
