/* Baseline for `breachdb check --sha1`: the same I/O over a flat sorted file of
 * 24-byte records (20 hash bytes, 4-byte count), made by `naive-convert` from a
 * sorted dump. Reads 40-hex lines with buffered stdio, binary-searches the mmapped
 * file, writes HASH:COUNT lines with buffered stdio. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "hex.h"

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s FLAT < hashes\n", argv[0]); return 2; }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[1]); return 1; }
    const unsigned char *flat = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    size_t n = st.st_size / 24;
    static char in_buffer[1 << 20], out_buffer[1 << 20];
    setvbuf(stdin, in_buffer, _IOFBF, sizeof in_buffer);
    setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
    char line[256];
    unsigned char key[20];
    static const char digits[] = "0123456789ABCDEF";
    while (fgets(line, sizeof line, stdin)) {
        for (int i = 0; i < 20; i++) key[i] = (unsigned char)(nibble(line[2 * i]) << 4 | nibble(line[2 * i + 1]));
        size_t lo = 0, hi = n;
        uint64_t count = 0;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = memcmp(flat + mid * 24, key, 20);
            if (c == 0) { memcpy(&count, flat + mid * 24 + 20, 4); break; }
            if (c < 0) lo = mid + 1; else hi = mid;
        }
        char hex[41];
        for (int i = 0; i < 20; i++) { hex[2 * i] = digits[key[i] >> 4]; hex[2 * i + 1] = digits[key[i] & 15]; }
        hex[40] = 0;
        printf("%s:%llu\n", hex, (unsigned long long)count);
    }
    return 0;
}
