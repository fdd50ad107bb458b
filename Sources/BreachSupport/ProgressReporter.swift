import Foundation

/// Reports a long ingest or download: a bar redrawn in place on a terminal, a plain line
/// every `interval` otherwise (logs, CI), each starting with `label`. Writes to standard
/// error unless told otherwise.
public final class ProgressReporter {
    private let label: String
    private let isTerminal: Bool
    private let interval: Duration
    private let write: (String) -> Void
    private let started = ContinuousClock.now
    private var lastReport = ContinuousClock.now
    private var drewBar = false

    public init(
        label: String = "ingest", isTerminal: Bool, interval: Duration = .seconds(10),
        write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.label = label
        self.isTerminal = isTerminal
        self.interval = isTerminal ? .milliseconds(200) : interval
        self.write = write
    }

    /// Any other stage: `text`, and how much of the work is done when known. Cheap
    /// when no report is due.
    public func report(fraction: Double?, _ text: @autoclosure () -> String) {
        guard due() else { return }
        show(text(), fraction: fraction)
    }

    /// Ends the bar (a terminal line is left as it was drawn).
    public func finish() {
        if drewBar { write("\n") }
        drewBar = false
    }

    private func due() -> Bool {
        let now = ContinuousClock.now
        guard now - lastReport >= interval else { return false }
        lastReport = now
        return true
    }

    private func show(_ text: String, fraction: Double?) {
        if isTerminal {
            var bar = ""
            if let fraction {
                let filled = Int(fraction * 24)
                bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 24 - filled) + "] "
            }
            write("\r\u{1B}[K" + bar + text)
            drewBar = true
        } else {
            write(label + ": " + text + "\n")
        }
    }

    public var elapsedSeconds: Double {
        let elapsed = ContinuousClock.now - started
        return elapsed.timeInterval
    }

    public static func bytes(_ n: UInt64) -> String {
        ByteCountFormatter.string(fromByteCount: Int64(clamping: n), countStyle: .file)
    }

    public static func rate(_ perSecond: Double) -> String {
        perSecond >= 1e6 ? String(format: "%.1fM", perSecond / 1e6) : String(format: "%.0f", perSecond)
    }

    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
