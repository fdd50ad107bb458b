#ifndef BREACHDB_MEMORY_HINTS_H
#define BREACHDB_MEMORY_HINTS_H

/// Starts loading the cache line at `address` without waiting for it: Swift has no
/// prefetch intrinsic, and the lookup hot path needs one to overlap its memory misses.
static inline void breachdb_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
