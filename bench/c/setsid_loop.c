/* setsid_loop N: calls setsid() N times (a syscall the Cordon supervisor is notified of; after the first call
   each one fails with EPERM, but still makes the round trip) and prints the mean nanoseconds per call. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) setsid();
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    printf("%.1f ns per setsid\n", ns / n);
    return 0;
}
