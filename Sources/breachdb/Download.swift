import ArgumentParser
import BreachDownload
import BreachHash
import BreachIndex
import BreachSupport
import Foundation

extension PrefixRange: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

struct Download: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build an index from the Pwned Passwords range API (or any server that speaks it).",
        discussion: """
            Fetches GET FROM/range/PREFIX for every prefix (of --prefixes) with several \
            requests in flight, checks every body, and writes the hashes straight into the \
            index in prefix order: no intermediate text files. Failed requests are retried. A \
            killed download resumes where it stopped when run again with the same arguments. With --base, each range is revalidated with the ETag stored in \
            the older index and copied from it when the server answers 304 Not Modified \
            (as stored, once its chunk's checksum matched: a damaged base stops the download). \
            With --base and --output the same file, nothing is written until a range has \
            changed: when none has, the file is left untouched ("nothing changed").

            A range answer must be whole within 4 × --timeout (head and body), arrive at \
            1 KiB/s at least once --timeout has passed, and be at most 1 MiB on the wire and \
            decoded (a real range is ≈ 80 kB): otherwise that attempt fails (a compressed body \
            that inflates past the bound is asked for once more, uncompressed). \
            A reset, a stall or a bad body is retried at once, then with backoff; 429 and \
            503 with Retry-After are retried when the server says. Each request asks for a \
            Repr-Digest (Want-Repr-Digest; breachdb serve sends one when asked); an answer \
            carrying one is checked against it, and once a source has sent one, every answer \
            must; over plain HTTP only gzip is asked for (brotli has no checksum).

            Memory is bounded in bytes whatever the source: at most 128 MiB of parsed \
            ranges wait between arriving and being written, each request holds at most \
            1 MiB on the wire and 1 MiB decoded, and the index is checkpointed every 16 MiB: \
            ≈ 280 MB at most at the default --concurrency 32 (computed), and about \
            35 MB + 16 MiB + --concurrency × 0.5 MB at the real corpus's density.

            Redirects are followed to the same scheme, host and port only, 3 at most. A user \
            name and password in --from are sent as Basic authorization (never shown or stored).
            """
    )

    @Option(
        name: .shortAndLong, help: ArgumentHelp("The index file to write (replaced atomically).", valueName: "file"))
    var output: String

    @Option(help: ArgumentHelp("The server to download from (the range API's base URL).", valueName: "url"))
    var from: String = DownloadOptions.publicAPI

    @Option(help: "Hash kind: sha1 or ntlm (requests ?mode=ntlm).")
    var mode: HashKind = .sha1

    @Option(help: ArgumentHelp("An earlier download: unchanged ranges (304) are copied from it.", valueName: "file"))
    var base: String?

    @Option(help: ArgumentHelp("Requests in flight at once (at most 256).", valueName: "count"))
    var concurrency: Int = 32

    @Option(help: ArgumentHelp("Only these prefixes, e.g. 00000-0FFFF.", valueName: "first-last"))
    var prefixes: PrefixRange = .all

    @Flag(
        help:
            "Fail unless an interrupted download of the same ranges is there to continue (it is continued anyway when present)."
    )
    var resume = false

    @Flag(help: "Ask for padded answers (Add-Padding: true); the padding rows are checked and dropped.")
    var padding = false

    @Flag(
        help:
            "Write a compact, check-only index (as ingest --compact): the first 64 bits of each hash, counts exact; it cannot be a --base."
    )
    var compact = false

    @Flag(
        help:
            "Ask for plain bodies instead of gzip or br: faster from `breachdb serve` over loopback or a LAN, where the daemon compresses each uncached answer afresh."
    )
    var uncompressed = false

    @Option(help: ArgumentHelp("Attempts per range before the download stops.", valueName: "count"))
    var attempts: Int = 10

    @Option(
        help: ArgumentHelp(
            "First retry delay in seconds (doubled per retry, with jitter, up to 60 s).", valueName: "seconds"))
    var retryDelay: Double = 0.5

    @Option(
        help: ArgumentHelp(
            "Seconds without a byte before a request is abandoned and retried; a whole request, head and body, is abandoned after 4 times this.",
            valueName: "seconds"))
    var timeout: Double = 30

    @Option(
        help: ArgumentHelp(
            "TLS: trust the CA certificates in this PEM file (a private CA) instead of the system's.", valueName: "pem")
    )
    var caFile: String?

    @Option(
        help: ArgumentHelp("TLS: present this client certificate chain (PEM), with --client-key.", valueName: "pem"))
    var clientCert: String?

    @Option(help: ArgumentHelp("TLS: the client certificate's private key (PEM).", valueName: "pem"))
    var clientKey: String?

    @Option(
        help: ArgumentHelp(
            "Send the first line of this file as the Authorization header (e.g. `Bearer TOKEN`).", valueName: "file"))
    var authorizationFile: String?

    @Option(help: ArgumentHelp("Seconds between checkpoints a killed download resumes from.", valueName: "seconds"))
    var checkpointInterval: Double = 5

    @Flag(help: "Print no progress, only the summary.")
    var quiet = false

    func validate() throws {
        guard (1...DownloadOptions.maximumConcurrency).contains(concurrency) else {
            throw ValidationError("--concurrency must be from 1 to \(DownloadOptions.maximumConcurrency)")
        }
        guard (clientCert == nil) == (clientKey == nil) else {
            throw ValidationError("--client-cert and --client-key go together")
        }
        guard attempts >= 1 else { throw ValidationError("--attempts must be at least 1") }
        guard retryDelay >= 0 else { throw ValidationError("--retry-delay cannot be negative") }
        guard timeout > 0, checkpointInterval > 0 else {
            throw ValidationError("--timeout and --checkpoint-interval must be positive")
        }
    }

    func run() async throws {
        var options = DownloadOptions(
            output: output, userAgent: "BreachDB/\(BreachDB.configuration.version) (breachdb download)")
        options.source = from
        options.kind = mode
        options.base = base
        options.concurrency = concurrency
        options.prefixes = prefixes
        options.requiresResume = resume
        options.padding = padding
        options.format = compact ? .compact : .full
        options.compressed = !uncompressed
        options.retry.attempts = attempts
        options.retry.initialDelay = .milliseconds(Int(retryDelay * 1000))
        options.stallTimeout = .milliseconds(Int(timeout * 1000))
        options.checkpointInterval = .milliseconds(Int(checkpointInterval * 1000))
        options.certificateAuthorityFile = caFile
        options.clientCertificateFile = clientCert
        options.clientKeyFile = clientKey
        options.authorizationFile = authorizationFile
        let progress = quiet ? nil : ProgressReporter(label: "download", isTerminal: isatty(2) == 1)
        let summary: DownloadSummary
        do {
            summary = try await Downloader(options: options, progress: progress).run()
        } catch {
            throw CommandFailure("download failed: \(error)")
        }
        let s = summary
        if s.nothingChanged {
            FileHandle.standardError.write(
                Data(
                    "nothing changed: \(output) left as it was (\(s.unchanged.formatted()) ranges unchanged, \(s.requests.formatted()) requests in \(String(format: "%.2f", s.seconds)) s), content digest \(s.contentDigest)\n"
                        .utf8))
            return
        }
        var lines = [
            "wrote \(output): \(compact ? "compact index, " : "")\(s.hashCount.formatted()) \(mode.rawValue) \(compact ? "64-bit keys" : "hashes") from \(s.ranges.formatted()) ranges (\(prefixes)), content digest \(s.contentDigest)",
            "ranges changed: \(s.changed.formatted()), unchanged (304): \(s.unchanged.formatted())"
                + (s.resumedFrom > 0 ? ", finished by the interrupted run: \(s.resumedFrom.formatted())" : ""),
            "requests: \(s.requests.formatted()), retries: \(s.retries.formatted()); received \(ProgressReporter.bytes(UInt64(s.wireBytes))) "
                + "(\(ProgressReporter.bytes(UInt64(s.textBytes))) of range text) in \(String(format: "%.2f", s.seconds)) s, "
                + "\(String(format: "%.1f", Double(s.textBytes) / 1e6 / max(s.seconds, 1e-9))) MB/s, \(Int(Double(s.changed + s.unchanged) / max(s.seconds, 1e-9)).formatted()) ranges/s",
        ]
        if s.paddingRowsDropped > 0 { lines.append("padding rows dropped: \(s.paddingRowsDropped.formatted())") }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
