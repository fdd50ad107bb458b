import BreachSupport
import Foundation
import Testing

@Suite struct FileSizeTests {
    @Test func aFileReachedThroughASymbolicLinkHasTheFilesSize() throws {
        let directory = NSTemporaryDirectory() + "breachdb-filesize-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(count: 5_000).write(to: URL(fileURLWithPath: directory + "/file"))
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/link", withDestinationPath: directory + "/file")
        #expect(fileSize(atPath: directory + "/file") == 5_000)
        #expect(fileSize(atPath: directory + "/link") == 5_000)
        #expect(fileSize(atPath: directory + "/missing") == nil)
    }

    @Test func aFileReachedThroughASymbolicLinkHasTheFilesModificationDate() throws {
        let directory = NSTemporaryDirectory() + "breachdb-filedate-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(count: 1).write(to: URL(fileURLWithPath: directory + "/file"))
        let written = Date(timeIntervalSince1970: 1_700_000_000)
        try FileManager.default.setAttributes([.modificationDate: written], ofItemAtPath: directory + "/file")
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/link", withDestinationPath: directory + "/file")
        #expect(fileModificationDate(atPath: directory + "/link") == written)
        #expect(fileModificationDate(atPath: directory + "/missing") == nil)
    }
}
