#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Says "ready <pid>", then blocks until the test (having seized this process) writes a byte to stdin. */
static void handshake(void) {
    char c;
    printf("ready %d\n", getpid());
    fflush(stdout);
    if (read(0, &c, 1) != 1) exit(99);
}
