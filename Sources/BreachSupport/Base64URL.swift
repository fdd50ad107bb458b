import Foundation

/// `bytes` in base64url without padding (RFC 4648 §5): safe in links, cookies and forms.
public func base64URL(_ bytes: [UInt8]) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}
