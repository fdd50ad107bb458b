import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where a new index is built and how it replaces the old one atomically.
///
/// The index is written to a hidden temporary file beside the target (same file
/// system, so `rename` is atomic), synced, then renamed over the target and the
/// directory synced. Until then the target is untouched: a failed or killed build
/// (even SIGKILL) leaves the old index byte for byte. Temporary files left by killed
/// builds are removed by the next build for the same target.
public struct IndexDestination: Sendable {
    public let path: String
    public let temporaryPath: String

    /// With `resumable`, the temporary file has a fixed name (`.NAME.partial`) that a
    /// later build finds again after a crash, instead of one per process that the next
    /// build removes; its writer must keep two builds from sharing it.
    public init(path: String, resumable: Bool = false) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let stem = ".\(url.lastPathComponent).building."
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw IndexError.system(path: directory, operation: "opening the output directory", errno: ENOENT)
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw IndexError.system(path: path, operation: "writing the index (it is a directory)", errno: EISDIR)
        }
        Self.removeStale(in: directory, stem: stem)
        self.path = path
        let name = resumable ? ".\(url.lastPathComponent).partial" : "\(stem)\(getpid())"
        self.temporaryPath = (directory as NSString).appendingPathComponent(name)
    }

    /// Removes temporary files of builds whose process is gone.
    private static func removeStale(in directory: String, stem: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(stem) {
            let owner = name.dropFirst(stem.count).prefix { $0.isNumber }
            if let pid = pid_t(owner), kill(pid, 0) == 0 || errno == EPERM { continue }
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
    }

    /// Renames the finished temporary file over the target and makes the rename durable.
    public func publish() throws {
        guard rename(temporaryPath, path) == 0 else {
            throw IndexError.system(path: path, operation: "renaming the new index into place", errno: errno)
        }
        let directory = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Deletes the temporary file (after a failed build).
    public func discard() {
        unlink(temporaryPath)
    }
}
