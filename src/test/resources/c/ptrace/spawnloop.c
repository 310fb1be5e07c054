#include <spawn.h>
/* posix_spawn (clone with CLONE_VM|CLONE_VFORK: vfork events) of /bin/true argv[1] times. */
extern char **environ;
int main(int argc, char **argv) {
    int n = atoi(argv[1]), ok = 0;
    char *args[] = {"true", 0};
    handshake();
    for (int i = 0; i < n; i++) {
        pid_t p;
        if (posix_spawn(&p, "/bin/true", 0, 0, args, environ) != 0) continue;
        int st;
        if (waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
    }
    printf("ok %d\n", ok);
    return ok == n ? 0 : 1;
}
