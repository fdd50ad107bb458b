import BreachIndex
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` on a file beside the temporary index, so that two downloads to
/// the same output never write one file. The kernel drops it when the process dies
/// (even by `kill -9`), so a killed download never leaves a stale lock behind.
final class DownloadLock {
    private let path: String
    private var descriptor: Int32

    init(path: String, output: String) throws {
        while true {
            // O_NOFOLLOW: a symlink planted at the lock's path is refused, not followed.
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard descriptor >= 0 else {
                throw IndexError.system(path: path, operation: "creating the download lock", errno: errno)
            }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                close(descriptor)
                throw DownloadError.busy(output: output)
            }
            // A finishing download removes the file while it holds the lock: a lock taken
            // on that removed file guards nothing, so take the one now at the path instead.
            var held = stat(), current = stat()
            if fstat(descriptor, &held) == 0, lstat(path, &current) == 0, held.st_ino == current.st_ino,
                held.st_dev == current.st_dev
            {
                self.descriptor = descriptor
                self.path = path
                return
            }
            close(descriptor)
        }
    }

    /// Removes the lock file (once the download is published) and unlocks it.
    func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    deinit { if descriptor >= 0 { close(descriptor) } }
}
