/* cpu N: a CPU-bound loop with almost no system calls (an LCG and a little floating point). */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 400000000UL;
    unsigned long x = 88172645463325252UL; double acc = 0;
    for (unsigned long i = 0; i < n; i++) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        acc += (double)(x >> 40) * 1e-9;
    }
    printf("%lu %f\n", x, acc);
    return 0;
}
