import Foundation
import Synchronization

/// HTTP dates: IMF-fixdate, as in `Sun, 22 Nov 2026 19:26:20 GMT` (RFC 9110 §5.6.7).
enum HTTPDate {
    static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 40)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static let current = Mutex<(second: time_t, text: String)>((0, ""))

    /// The `Date` header of an answer sent now, formatted at most once a second.
    static var now: String {
        let second = time(nil)
        return current.withLock { current in
            if current.second != second {
                current = (second, format(Date(timeIntervalSince1970: TimeInterval(second))))
            }
            return current.text
        }
    }
}
