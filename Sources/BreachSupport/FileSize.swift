import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The size in bytes of the file at `path`, following symbolic links as opening it does; nil
/// when there is none. Foundation's `attributesOfItem` describes a link itself, so an index
/// swapped in through a link measured as the link's few bytes and was refused as cut off.
public func fileSize(atPath path: String) -> UInt64? {
    fileStatus(atPath: path).map { UInt64($0.st_size) }
}

/// When the file at `path` was last written, following symbolic links (as ``fileSize(atPath:)``).
public func fileModificationDate(atPath path: String) -> Date? {
    fileStatus(atPath: path).map {
        Date(timeIntervalSince1970: TimeInterval($0.st_mtim.tv_sec) + TimeInterval($0.st_mtim.tv_nsec) / 1e9)
    }
}

private func fileStatus(atPath path: String) -> stat? {
    var status = stat()
    return stat(path, &status) == 0 ? status : nil
}
