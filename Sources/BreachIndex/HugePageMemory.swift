import Glibc

/// Uninitialized memory of `byteCount` bytes on 2 MiB pages where the kernel allows them
/// (transparent huge pages in `madvise` mode), released with `free`; `nil` when there is
/// not that much memory.
///
/// For large tables that lookups read at random and scratch that is filled at once: one
/// TLB entry and one page fault for each 2 MiB instead of 512. (A batch's sort scratch on
/// 4 KiB pages spent more time in page faults than in sorting: docs/benchmarks.md.)
func allocateOnHugePages(byteCount: Int) -> UnsafeMutableRawPointer? {
    var memory: UnsafeMutableRawPointer?
    guard posix_memalign(&memory, 2 << 20, max(byteCount, 1)) == 0 else { return nil }
    _ = madvise(memory, byteCount, MADV_HUGEPAGE)
    return memory
}
