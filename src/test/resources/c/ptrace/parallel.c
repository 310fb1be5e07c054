#include <pthread.h>
/* 4 worker processes, each with 2 threads, each thread fork+exec'ing /bin/true 50 times, all at once. */
static void *loop(void *arg) {
    long ok = 0;
    for (int i = 0; i < 50; i++) {
        pid_t p = fork();
        if (p == 0) {
            execl("/bin/true", "true", (char *) 0);
            _exit(127);
        }
        int st;
        if (p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
    }
    return (void *) ok;
}
int main(void) {
    handshake();
    for (int w = 0; w < 4; w++) {
        if (fork() == 0) {
            pthread_t t[2];
            long ok = 0;
            for (int i = 0; i < 2; i++) pthread_create(&t[i], 0, loop, 0);
            for (int i = 0; i < 2; i++) {
                void *r;
                pthread_join(t[i], &r);
                ok += (long) r;
            }
            _exit(ok == 100 ? 0 : 1);
        }
    }
    int st, good = 0;
    while (wait(&st) > 0) if (WIFEXITED(st) && WEXITSTATUS(st) == 0) good++;
    printf("workers ok %d\n", good);
    return good == 4 ? 0 : 1;
}
