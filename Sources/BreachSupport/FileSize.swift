import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The size in bytes of the file at `path`, following symbolic links as opening it does; nil
/// when there is none. Foundation's `attributesOfItem` describes a link itself, so an index
/// swapped in through a link measured as the link's few bytes and was refused as cut off.
public func fileSize(atPath path: String) -> UInt64? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return UInt64(status.st_size)
}
