import Foundation
import Testing

@testable import BreachDownload

@Suite struct DownloadLockTests {
    func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func aSecondDownloadToTheSameOutputIsBusy() throws {
        let path = try temporaryDirectory().appendingPathComponent(".out.idx.partial.lock").path
        let first = try DownloadLock(path: path, output: "out.idx")
        #expect(throws: DownloadError.self) { try DownloadLock(path: path, output: "out.idx") }
        first.release()
        _ = try DownloadLock(path: path, output: "out.idx")
    }

    /// Finding 10: a symlink planted at the lock's path is refused, not followed (and so not created or truncated).
    @Test func aSymlinkAtTheLockPathIsNotFollowed() throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent(".out.idx.partial.lock").path
        let target = directory.appendingPathComponent("elsewhere").path
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
        #expect(throws: (any Error).self) { try DownloadLock(path: path, output: "out.idx") }
        #expect(!FileManager.default.fileExists(atPath: target))
    }
}
