/* Waits for SIGUSR1 (handled), says so, then reads stdin to its end (a stop/continue happens meanwhile). */
static volatile sig_atomic_t got;
static void on_usr1(int sig) { (void) sig; got = 1; }
int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, 0);
    handshake();
    while (!got) pause();
    printf("usr1\n");
    fflush(stdout);
    char buf[64];
    ssize_t n, total = 0;
    while ((n = read(0, buf, sizeof buf)) != 0) {
        if (n < 0) { if (errno == EINTR) continue; return 2; }
        total += n;
    }
    printf("read %zd\n", total);
    return 0;
}
