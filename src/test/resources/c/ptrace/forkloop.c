/* fork + exec /bin/true argv[1] times, one after the other. */
int main(int argc, char **argv) {
    int n = atoi(argv[1]), ok = 0;
    handshake();
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0) { perror("fork"); return 1; }
        if (p == 0) {
            execl("/bin/true", "true", (char *) 0);
            _exit(127);
        }
        int st;
        if (waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
    }
    printf("ok %d\n", ok);
    return ok == n ? 0 : 1;
}
