/* The floor under a lookup on this machine: the latency of one dependent random
 * read in a file-backed map of INDEX, with 4 KiB pages or with the map advised to
 * use huge pages after the file's cached pages were dropped (what breachdb does);
 * then the floor under a batch lookup: the time per read when 2 to 32 independent
 * chains of such reads are interleaved (the memory-level parallelism one core gets).
 * Usage: memory-latency INDEX [huge]   */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s FILE [huge]\n", argv[0]); return 2; }
    int huge = argc > 2 && strcmp(argv[2], "huge") == 0;
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[1]); return 1; }
    size_t length = st.st_size;
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    unsigned char *map = mmap(NULL, length, PROT_READ, MAP_SHARED, fd, 0);
    if (huge) madvise(map, length, MADV_HUGEPAGE); else madvise(map, length, MADV_NOHUGEPAGE);
    uint64_t sum = 0;
    for (size_t i = 0; i < length; i += 4096) sum += map[i];  /* warm: all pages cached */
    double single = 0;
    for (int chains = 1; chains <= 32; chains *= 2) {
        uint64_t state[32]; size_t at[32], n = 4000000 / chains;
        for (int c = 0; c < chains; c++) { state[c] = c + 1; at[c] = (size_t)c * 7919 * 4096 % length; }
        double start = now();
        for (size_t i = 0; i < n; i++) {
            for (int c = 0; c < chains; c++) {  /* each address depends on the byte its chain read before */
                state[c] = state[c] * 6364136223846793005ULL + 1442695040888963407ULL + map[at[c]];
                at[c] = (state[c] >> 20) % length;
            }
        }
        double ns = (now() - start) / (n * chains) * 1e9;
        sum += at[0];
        if (chains == 1) {
            single = ns;
            printf("%s pages: %.0f ns per dependent random read\n", huge ? "huge" : "4 KiB", ns);
        } else {
            printf("  %2d chains interleaved: %.0f ns a read (%.1fx one chain's rate)\n", chains, ns, single / ns);
        }
    }
    printf("(%lu: the reads' sum, printed so that they are not optimised away)\n", (unsigned long)sum & 1);
    return 0;
}
