/* The floor under a lookup on this machine: the latency of one dependent random
 * read in a file-backed map of INDEX, with 4 KiB pages or with the map advised to
 * use huge pages after the file's cached pages were dropped (what breachdb does).
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
    uint64_t state = 1; size_t at = 0, n = 2000000;
    double start = now();
    for (size_t i = 0; i < n; i++) {  /* each address depends on the byte read before */
        state = state * 6364136223846793005ULL + 1442695040888963407ULL + map[at];
        at = (state >> 20) % length;
    }
    printf("%s pages: %.0f ns per dependent random read (%lu)\n", huge ? "huge" : "4 KiB", (now() - start) / n * 1e9, (unsigned long)(sum + at));
    return 0;
}
