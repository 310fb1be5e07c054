#include <pthread.h>
/* A non-leader thread calls execve: it takes over the process's pid. */
static void *run(void *arg) {
    (void) arg;
    execl("/bin/true", "true", "from-thread", (char *) 0);
    return 0;
}
int main(void) {
    pthread_t t;
    handshake();
    pthread_create(&t, 0, run, 0);
    pthread_join(t, 0);
    return 1;
}
