import CZlib

#if canImport(Glibc)
    import Glibc
#endif

/// One input: a file, standard input (`-`), or a gzip file (any name ending in `.gz`),
/// read in large blocks.
///
/// One thread at a time owns it, so its stored properties skip the runtime's exclusivity
/// checks (`@exclusivity(unchecked)`), which are a measurable share of an ingest's time.
public final class InputFile {
    /// The name used in messages: the path, or `<stdin>`.
    public let name: String
    /// The size on disk, when known (not for pipes).
    public let size: UInt64?
    private let descriptor: Int32
    private let gzip: gzFile?
    @exclusivity(unchecked) private var rawBytesRead: UInt64 = 0

    public init(path: String) throws {
        if path == "-" {
            name = "<stdin>"
            descriptor = 0
        } else {
            name = path
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            if descriptor < 0 { throw IngestError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        }
        var status = stat()
        size = fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG ? UInt64(status.st_size) : nil
        if (status.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw IngestError.unreadable(
                file: path, reason: "is a directory (use --format range-dir for a directory of range files)")
        }
        if path.hasSuffix(".gz") {
            let fd = descriptor
            var magic: (UInt8, UInt8) = (0, 0)
            let got = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
            guard got == 2, magic == (0x1F, 0x8B) else {
                close(fd)
                throw IngestError.unreadable(file: path, reason: "not in gzip format (the name ends in .gz)")
            }
            guard let file = gzdopen(descriptor, "rb") else {
                close(descriptor)
                throw IngestError.unreadable(file: path, reason: "cannot open the gzip stream")
            }
            gzbuffer(file, 1 << 18)
            gzip = file
        } else {
            gzip = nil
        }
    }

    deinit {
        if let gzip { gzclose(gzip) } else if descriptor > 0 { close(descriptor) }
    }

    /// Bytes of the file consumed so far (compressed bytes for gzip), for progress.
    public var bytesConsumed: UInt64 {
        if let gzip { return UInt64(max(0, gzoffset(gzip))) }
        return rawBytesRead
    }

    /// Reads up to `buffer.count` bytes; 0 means the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let gzip {
            let got = gzread(gzip, buffer.baseAddress, UInt32(min(buffer.count, Int(Int32.max))))
            // zlib reports a stream cut short as a plain end with Z_BUF_ERROR set.
            var code: Int32 = Z_OK
            // gzerror prefixes the stream's name (`<fd:3>: `), which is not the file's.
            let message = String(cString: gzerror(gzip, &code)).split(separator: ": ").last.map(String.init) ?? ""
            if got < 0 || (got == 0 && code != Z_OK) {
                throw IngestError.unreadable(file: name, reason: "gzip data is damaged or truncated (\(message))")
            }
            return Int(got)
        }
        while true {
            let got = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if got >= 0 {
                rawBytesRead += UInt64(got)
                return got
            }
            if errno != EINTR { throw IngestError.unreadable(file: name, reason: String(cString: strerror(errno))) }
        }
    }
}
