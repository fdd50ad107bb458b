import Accounts
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The store's secret key in a file: 32 random bytes in base64 on one line (as
/// `openssl rand -base64 32 > FILE` writes), the form ``AccountSecretKey/init(base64:)`` reads.
public enum SecretKeyFile {
    /// The key in `path`; an error that names the file when it cannot be read or holds no key.
    public static func read(_ path: String) throws -> AccountSecretKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SecretKeyFileError(path: path, reason: "cannot read the file")
        }
        do {
            return try AccountSecretKey(base64: String(decoding: data, as: UTF8.self))
        } catch {
            throw SecretKeyFileError(path: path, reason: "\(error)")
        }
    }

    /// The key in `path`, made first (a new random key, the file readable by its owner
    /// only) when there is none. The new file is written aside and linked into place,
    /// so a process that starts at the same time reads a whole key, never half of one.
    public static func readOrCreate(_ path: String) throws -> AccountSecretKey {
        if FileManager.default.fileExists(atPath: path) { return try read(path) }
        let key = AccountSecretKey.generate()
        let aside = "\(path).\(UInt64.random(in: 0...UInt64.max)).new"
        let descriptor = Glibc.open(aside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SecretKeyFileError(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        defer { unlink(aside) }
        let text = Array(key.base64.utf8)
        let written = text.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        Glibc.close(descriptor)
        guard written == text.count, synced else {
            throw SecretKeyFileError(path: path, reason: "cannot write the new key")
        }
        guard link(aside, path) == 0 else {
            // Another process made it first: theirs is the key.
            guard errno == EEXIST else {
                throw SecretKeyFileError(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
            }
            return try read(path)
        }
        // The new name is durable before the key is used to seal anything.
        let directory = Glibc.open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY)
        if directory >= 0 {
            fsync(directory)
            Glibc.close(directory)
        }
        return key
    }
}

public struct SecretKeyFileError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
