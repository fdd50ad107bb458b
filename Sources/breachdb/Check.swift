import ArgumentParser
import BreachHash
import BreachIndex
import BreachIngest

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look up passwords or hashes.",
        discussion: """
            Reads one password per line from standard input (or takes them as arguments) and \
            writes HASH:COUNT per input, in order: the uppercase hex hash and how often it was \
            seen, 0 when absent. Passwords are never echoed. With --sha1 the lines are hex \
            hashes (40 digits; 32 for an NTLM index), in any case.
            """
    )

    @OptionGroup var index: IndexOption

    @Flag(help: "Input lines are hex hashes, not passwords.")
    var sha1 = false

    @Argument(help: "Passwords to check (instead of standard input).")
    var passwords: [String] = []

    func run() throws {
        let index = try self.index.open()
        let output = OutputBuffer()
        let kind = index.kind
        if !passwords.isEmpty {
            for var password in passwords {
                let digest = password.withUTF8 { PasswordHasher.hash(UnsafeRawBufferPointer($0), kind: kind) }
                Self.writeAnswer(digest, count: index.count(of: digest), digits: kind.hexDigitCount, to: output)
            }
            return
        }
        // Lines are looked up a batch at a time, so that their memory reads overlap
        // (``BreachIndex/counts(of:into:)``).
        var lines = LineReader(try InputFile(path: "-"))
        var digests: [HashDigest] = [], counts: [UInt64] = []
        digests.reserveCapacity(Self.batchSize)
        func answerBatch() {
            counts.removeAll(keepingCapacity: true)
            counts.append(contentsOf: repeatElement(0, count: digests.count))
            digests.withUnsafeBufferPointer { digests in
                counts.withUnsafeMutableBufferPointer { index.counts(of: digests, into: $0) }
            }
            for (digest, count) in zip(digests, counts) {
                Self.writeAnswer(digest, count: count, digits: kind.hexDigitCount, to: output)
            }
            digests.removeAll(keepingCapacity: true)
        }
        while let line = try lines.next() {
            if sha1 {
                guard line.count == kind.hexDigitCount, let parsed = Hex.digest(line, digitCount: kind.hexDigitCount)
                else {
                    answerBatch()
                    output.flush()
                    throw CommandFailure("<stdin>:\(lines.lineNumber): expected \(kind.hexDigitCount) hex digits")
                }
                digests.append(parsed)
            } else {
                digests.append(PasswordHasher.hash(line, kind: kind))
            }
            if digests.count == Self.batchSize { answerBatch() }
        }
        answerBatch()
    }

    /// Lines looked up in one call: enough that `counts(of:into:)` sorts them by prefix and
    /// many share a table line and a 2 MiB page of the index: at two billion hashes a million
    /// queries (half of them stored) take 116–123 ns a lookup in one call, against 230–256 in
    /// batches of 1,000 (docs/benchmarks.md, "Batch lookups bound by their work"; how the
    /// gain grows with the batch: "Batches in prefix order"). Working memory: 80 MiB (24 of
    /// digests, 8 of counts, 48 of the sort's scratch).
    /// (`CheckCommandTests` crosses a batch's end: keep its line count above this.)
    static let batchSize = 1 << 20

    /// `HASH:COUNT\n`, written in place.
    static func writeAnswer(_ digest: HashDigest, count: UInt64, digits: Int, to output: OutputBuffer) {
        let at = output.reserve(digits + 22)
        Hex.write(digest, digitCount: digits, to: at)
        at[digits] = UInt8(ascii: ":")
        let length = DecimalText.write(count, to: at + digits + 1)
        at[digits + 1 + length] = 0x0A
        output.advance(by: digits + 2 + length)
    }
}
