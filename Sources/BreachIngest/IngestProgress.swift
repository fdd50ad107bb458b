import BreachSupport

/// The ingest's own progress lines.
extension ProgressReporter {
    /// Reading: `bytes` of `total` consumed, `lines` lines so far.
    func reading(bytes: UInt64, of total: UInt64?, lines: Int) {
        let fraction = total.flatMap { $0 > 0 ? min(1, Double(bytes) / Double($0)) : nil }
        report(fraction: fraction, readingText(bytes: bytes, of: total, lines: lines, fraction: fraction))
    }

    /// Merging sorted runs: `hashes` written so far.
    func merging(hashes: UInt64) {
        report(fraction: nil, "merging: \(hashes.formatted()) hashes written")
    }

    private func readingText(bytes: UInt64, of total: UInt64?, lines: Int, fraction: Double?) -> String {
        let seconds = elapsedSeconds
        let rate = seconds > 0 ? Double(lines) / seconds : 0
        var text = Self.bytes(bytes)
        if let total, let fraction {
            text += " of \(Self.bytes(total)) (\(Int(fraction * 100))%)"
        }
        text += ", \(lines.formatted()) lines, \(Self.rate(rate)) lines/s"
        if let fraction, fraction > 0.01 {
            text += ", ETA \(Self.duration(seconds / fraction - seconds))"
        }
        return text
    }
}
