#include <pthread.h>
/* 8 threads, each making system calls, then exiting; the main thread joins them. */
static void *work(void *arg) {
    int fd = open("/dev/null", O_WRONLY);
    for (int i = 0; i < 2000; i++) {
        syscall(SYS_getpid);
        if (write(fd, "x", 1) != 1) return (void *) 1;
    }
    close(fd);
    return arg;
}
int main(void) {
    pthread_t t[8];
    handshake();
    for (long i = 0; i < 8; i++) pthread_create(&t[i], 0, work, (void *) i);
    long sum = 0;
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long) r;
    }
    printf("threads %ld\n", sum);
    return 0;
}
