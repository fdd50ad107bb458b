/* The hex digit decoding the C baselines share (flat-check, naive-convert). */
#ifndef BREACHDB_BENCH_HEX_H
#define BREACHDB_BENCH_HEX_H

/* The value of hex digit `c` (either case), or -1 if it is not one. */
static inline int nibble(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

#endif
