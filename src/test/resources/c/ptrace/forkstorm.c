/* Keeps forking children that fork again and sleep (bounded: 400 children). */
int main(void) {
    handshake();
    for (int i = 0; i < 400; i++) {
        pid_t p = fork();
        if (p == 0) {
            if (fork() == 0) execl("/bin/sleep", "sleep", "1000", (char *) 0);
            sleep(1000);
            _exit(0);
        }
        usleep(2000);
    }
    sleep(1000);
    return 0;
}
