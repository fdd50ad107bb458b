import BreachHash
import BreachIndex
import Foundation
@_exported import SyntheticData

/// A fresh directory under the system's temporary directory, removed on deinit.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init() throws {
        path = NSTemporaryDirectory() + "breachdb-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` (or bytes) to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }

    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// The repository's root (for `data/`).
public let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

public func fileBytes(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// The reproducible generator of test data.
public typealias SeededRandom = SplitMix64

/// A random digest of `kind`, optionally with a given 20-bit prefix.
public func randomDigest(_ kind: HashKind, prefix: Int? = nil, using random: inout SeededRandom) -> HashDigest {
    random.digest(kind, prefix: prefix)
}

/// Heavy-tailed counts like real breach data, including some above 2^32.
public func randomCount(using random: inout SeededRandom) -> UInt64 {
    switch random.next() % 100 {
    case 0: 4_000_000_000 + random.next() % 10_000_000_000
    case 1...5: 1_000 + random.next() % 500_000_000
    case 6...30: 2 + random.next() % 200
    default: 1
    }
}

/// Writes `entries` (sorted here) to a new index at `path`.
@discardableResult
public func writeIndex(_ entries: [HashCount], kind: HashKind = .sha1, to path: String, minimumCount: UInt64 = 1) throws
    -> IndexMetadata
{
    let writer = try IndexWriter(path: path, kind: kind, minimumCount: minimumCount)
    for entry in entries.sorted(by: { $0.digest < $1.digest }) { try writer.append(entry) }
    return try writer.finish(sources: [])
}

/// `SUFFIX:COUNT` CRLF lines of a real range response, without a CRLF after the last.
public func rangeResponseBody(_ path: String) throws -> [UInt8] {
    var bytes = try fileBytes(path)
    while bytes.last == 0x0A || bytes.last == 0x0D { bytes.removeLast() }
    return bytes
}

/// The built `breachdb` executable, beside the test bundle.
public let breachdbExecutable: String = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.path != "/" {
        url.deleteLastPathComponent()
        let candidate = url.appendingPathComponent("breachdb").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return "breachdb"
}()

/// What a finished command printed and how it ended.
public struct CommandResult: Sendable {
    public var status: Int32
    public var output: [UInt8]
    public var errorText: String
    public var outputText: String { String(decoding: output, as: UTF8.self) }
}

/// Runs `breachdb` with `arguments`, feeding `input` to its standard input.
public func breachdb(_ arguments: [String], input: [UInt8] = []) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: breachdbExecutable)
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    // Feed and drain concurrently so large inputs and outputs cannot deadlock.
    let writer = Thread {
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let errorData = LockedData()
    let errorReader = Thread { errorData.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
    errorReader.start()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while errorData.get() == nil { usleep(1_000) }
    return CommandResult(
        status: process.terminationStatus, output: Array(output),
        errorText: String(decoding: errorData.get() ?? Data(), as: UTF8.self))
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data? { lock.withLock { data } }
}

/// Flips one bit in the middle of the stored bytes of `prefix`'s bucket in the index
/// file at `path`, in place: damage that only the checksums and decoding can see.
public func flipBitInBucket(prefix: Int, of path: String) throws {
    let bucket = try BreachIndex(path: path).storedBucket(prefix: prefix)
    precondition(!bucket.isEmpty, "no bucket to damage")
    var bytes = try fileBytes(path)
    guard
        let offset = (0...(bytes.count - bucket.count)).first(where: {
            bytes[$0..<($0 + bucket.count)].elementsEqual(bucket)
        })
    else {
        throw CocoaError(.fileReadCorruptFile)
    }
    bytes[offset + bucket.count / 2] ^= 0x10
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}
