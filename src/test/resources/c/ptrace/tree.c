/* Three children; the first forks a grandchild that execs /bin/true. Children exit 10, 11, 12. */
int main(void) {
    handshake();
    for (int i = 0; i < 3; i++) {
        pid_t p = fork();
        if (p == 0) {
            if (i == 0) {
                pid_t g = fork();
                if (g == 0) {
                    execl("/bin/true", "true", "grand", (char *) 0);
                    _exit(127);
                }
                int st;
                waitpid(g, &st, 0);
                _exit(WIFEXITED(st) ? WEXITSTATUS(st) + 10 : 99);
            }
            _exit(10 + i);
        }
        printf("child %d\n", p);
    }
    int st, bad = 0;
    pid_t p;
    while ((p = wait(&st)) > 0) if (!WIFEXITED(st)) bad++;
    printf("done %d\n", bad);
    return 0;
}
