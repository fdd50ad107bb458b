/* Baseline for `breachdb ingest` (issue 13): a plain C converter. Reads HASH:COUNT
 * lines (LF or CRLF) with fgets, decodes the 40 hex digits by hand and the count with
 * strtoul, and writes each as a packed 24-byte record (20 hash bytes, 4-byte count) to a
 * flat file. No sorting, no index, one core: a floor for the work an ingest must do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "hex.h"

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s DUMP OUTPUT\n", argv[0]); return 2; }
    FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "w");
    if (!in || !out) { perror("open"); return 1; }
    char line[256];
    unsigned char record[24];
    unsigned long lines = 0;
    while (fgets(line, sizeof line, in)) {
        lines++;
        for (int i = 0; i < 20; i++) {
            int hi = nibble(line[2 * i]), lo = nibble(line[2 * i + 1]);
            if (hi < 0 || lo < 0 || line[40] != ':') { fprintf(stderr, "%s:%lu: bad line\n", argv[1], lines); return 1; }
            record[i] = (unsigned char)(hi << 4 | lo);
        }
        uint32_t count = (uint32_t)strtoul(line + 41, NULL, 10);
        memcpy(record + 20, &count, 4);
        fwrite(record, sizeof record, 1, out);
    }
    fclose(out);
    fprintf(stderr, "%lu lines\n", lines);
    return 0;
}
