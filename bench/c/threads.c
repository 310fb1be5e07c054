/* threads T N: T threads each make N cheap system calls (getppid via syscall()). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
static long per_thread;
static void *work(void *arg) {
    (void)arg;
    for (long i = 0; i < per_thread; i++) syscall(SYS_getppid);
    return NULL;
}
int main(int argc, char **argv) {
    int t = argc > 1 ? atoi(argv[1]) : 8;
    per_thread = argc > 2 ? atol(argv[2]) : 20000;
    pthread_t th[256];
    if (t < 1 || t > 256) return 2;
    for (int i = 0; i < t; i++) if (pthread_create(&th[i], NULL, work, NULL)) { perror("pthread_create"); return 1; }
    for (int i = 0; i < t; i++) pthread_join(th[i], NULL);
    return 0;
}
