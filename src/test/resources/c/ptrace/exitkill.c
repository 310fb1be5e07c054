/* Double fork: the grandchild starts a new session and sleeps; the child exits; the parent sleeps. */
int main(void) {
    handshake();
    pid_t c = fork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0) {
            setsid();
            printf("grandchild %d\n", getpid());
            fflush(stdout);
            sleep(1000);
            _exit(0);
        }
        _exit(0);
    }
    waitpid(c, 0, 0);
    printf("child %d\n", c);
    fflush(stdout);
    sleep(1000);
    return 0;
}
