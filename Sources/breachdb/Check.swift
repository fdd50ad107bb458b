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
                Self.writeAnswer(digest, index: index, to: output)
            }
            return
        }
        var lines = LineReader(try InputFile(path: "-"))
        while let line = try lines.next() {
            let digest: HashDigest
            if sha1 {
                guard line.count == kind.hexDigitCount, let parsed = Hex.digest(line, digitCount: kind.hexDigitCount) else {
                    output.flush()
                    throw CommandFailure("<stdin>:\(lines.lineNumber): expected \(kind.hexDigitCount) hex digits")
                }
                digest = parsed
            } else {
                digest = PasswordHasher.hash(line, kind: kind)
            }
            Self.writeAnswer(digest, index: index, to: output)
        }
    }

    /// `HASH:COUNT\n`, written in place.
    static func writeAnswer(_ digest: HashDigest, index: BreachIndex, to output: OutputBuffer) {
        let digits = index.kind.hexDigitCount
        let at = output.reserve(digits + 22)
        Hex.write(digest, digitCount: digits, to: at)
        at[digits] = UInt8(ascii: ":")
        let length = DecimalText.write(index.count(of: digest), to: at + digits + 1)
        at[digits + 1 + length] = 0x0A
        output.advance(by: digits + 2 + length)
    }
}
