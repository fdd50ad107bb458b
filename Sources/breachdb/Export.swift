import ArgumentParser
import BreachIndex
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct Export: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        /// One file of `HASH:COUNT` lines, as the Pwned Passwords downloader writes.
        case hibp
        /// A directory of `PREFIX.txt` range files, as `GET /range` answers.
        case rangeDirectory = "range-dir"
    }

    static let configuration = CommandConfiguration(
        abstract: "Write an index back out as text.",
        discussion: """
            hibp: every hash as an uppercase HASH:COUNT line ending in CRLF, in ascending \
            order (the Pwned Passwords files; for an NTLM index the file AD auditing tools \
            read), to standard output or --output. range-dir: a directory with one \
            PREFIX.txt per non-empty range prefix holding the body GET /range/PREFIX serves \
            without padding. Either reads back through `ingest` to the same index. A file or \
            directory given with --output appears only when complete. A compact index keeps \
            too little of each hash to be exported.
            """
    )

    @OptionGroup var index: IndexOption

    @Option(
        name: .shortAndLong,
        help: "The file (hibp) or directory (range-dir) to write; hibp without it writes standard output.")
    var output: String?

    @Option(help: "hibp (one HASH:COUNT file) or range-dir (PREFIX.txt files).")
    var format: Format = .hibp

    func validate() throws {
        if format == .rangeDirectory && output == nil {
            throw ValidationError("--format range-dir needs --output DIRECTORY")
        }
    }

    func run() throws {
        let index = try self.index.openFull(
            refusal: ", so it cannot be exported; export the full index it was made from")
        let started = ContinuousClock.now
        let bytes: UInt64
        do {
            switch (format, output) {
            case (.hibp, nil): bytes = try Self.writeLines(of: index, to: 1, named: "standard output")
            case (.hibp, let path?):
                bytes = try Self.publishing(path) { temporary in
                    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                    guard descriptor >= 0 else { throw Self.failure("creating a file beside", path) }
                    defer { close(descriptor) }
                    let written = try Self.writeLines(of: index, to: descriptor, named: path)
                    guard fsync(descriptor) == 0 else { throw Self.failure("syncing", path) }
                    return written
                }
            case (.rangeDirectory, let path?):
                guard !FileManager.default.fileExists(atPath: path) else {
                    throw CommandFailure("\(path): already exists; a range directory is written only where nothing is")
                }
                bytes = try Self.publishing(path) { try Self.writeRangeFiles(of: index, into: $0, named: path) }
            case (.rangeDirectory, nil): preconditionFailure("validate() requires --output")
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("export failed: \(error)")
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let summary =
            "exported \(index.metadata.hashCount.formatted()) \(index.kind.rawValue) hashes: \(bytes.formatted()) bytes in \(String(format: "%.2f", seconds)) s (\(String(format: "%.0f", Double(bytes) / 1e6 / max(seconds, 1e-9))) MB/s)\n"
        FileHandle.standardError.write(Data(summary.utf8))
    }

    /// Runs `body` on a temporary path beside `path`, then renames the result over it:
    /// an export cut short leaves no file that looks complete.
    private static func publishing(_ path: String, _ body: (String) throws -> UInt64) throws -> UInt64 {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).exporting.\(getpid())"
        ).path
        do {
            let bytes = try body(temporary)
            // rename(2) replaces a file in one step; only a directory (a range-dir export) must go first.
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                try FileManager.default.removeItem(atPath: path)
            }
            guard rename(temporary, path) == 0 else { throw failure("renaming the export into place at", path) }
            return bytes
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    private static func writeLines(of index: BreachIndex, to descriptor: Int32, named name: String) throws -> UInt64 {
        var total: UInt64 = 0
        try index.exportLines { chunk in
            try writeAll(chunk, to: descriptor, named: name)
            total += UInt64(chunk.count)
        }
        return total
    }

    private static func writeRangeFiles(of index: BreachIndex, into directory: String, named name: String) throws
        -> UInt64
    {
        guard mkdir(directory, 0o755) == 0 else { throw failure("creating", directory) }
        var total: UInt64 = 0
        for prefix in 0..<(1 << 20) where index.hasEntries(withPrefix: prefix) {
            let file = "\(directory)/\(BreachIndex.rangePrefixText(prefix)).txt"
            let descriptor = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw failure("creating", file) }
            defer { close(descriptor) }
            let body = index.rangeBody(prefix: prefix)
            try body.withUnsafeBytes {
                try writeAll($0, to: descriptor, named: "\(name)/\(BreachIndex.rangePrefixText(prefix)).txt")
            }
            total += UInt64(body.count)
        }
        return total
    }

    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, named name: String) throws {
        var done = 0
        while done < bytes.count {
            let wrote = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else { throw failure("writing", name) }
            done += wrote
        }
    }

    private static func failure(_ operation: String, _ path: String) -> CommandFailure {
        CommandFailure("\(path): \(operation) failed: \(String(cString: strerror(errno)))")
    }
}
